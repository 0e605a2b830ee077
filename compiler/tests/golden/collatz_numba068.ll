; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc noundef i64 @udf_kernel_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %4 = sub nuw i64 %1, %0
  %.neg = add nuw i64 %0, 1
  %xtraiter = and i64 %4, 1
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %loop.prol.loopexit, label %loop.prol

loop.prol:                                        ; preds = %loop.preheader
  %a.p.prol = getelementptr inbounds i64, ptr %2, i64 %0
  %a.prol = load i64, ptr %a.p.prol, align 8
  %.14.not.i.i.prol = icmp eq i64 %a.prol, 1
  br i1 %.14.not.i.i.prol, label %collatz_steps_lalA.exit.prol, label %B20.else.if.i.i.prol

B20.else.if.i.i.prol:                             ; preds = %loop.prol, %B20.else.if.i.i.prol
  %n.3.0.i.i.prol = phi i64 [ %n.4.1.i.i.prol, %B20.else.if.i.i.prol ], [ %a.prol, %loop.prol ]
  %steps.2.0.i.i.prol = phi i64 [ %.129.i.i.prol, %B20.else.if.i.i.prol ], [ 0, %loop.prol ]
  %5 = and i64 %n.3.0.i.i.prol, 1
  %.66.i.i.prol = icmp eq i64 %5, 0
  %.118.i.i.prol = mul nsw i64 %n.3.0.i.i.prol, 3
  %.121.i.i.prol = add nsw i64 %.118.i.i.prol, 1
  %.89.i.i.prol = ashr exact i64 %n.3.0.i.i.prol, 1
  %n.4.1.i.i.prol = select i1 %.66.i.i.prol, i64 %.89.i.i.prol, i64 %.121.i.i.prol
  %.129.i.i.prol = add nuw nsw i64 %steps.2.0.i.i.prol, 1
  %.135.not.i.i.prol = icmp eq i64 %n.4.1.i.i.prol, 1
  br i1 %.135.not.i.i.prol, label %collatz_steps_lalA.exit.prol, label %B20.else.if.i.i.prol

collatz_steps_lalA.exit.prol:                     ; preds = %B20.else.if.i.i.prol, %loop.prol
  %steps.3.1.i.i.prol = phi i64 [ 0, %loop.prol ], [ %.129.i.i.prol, %B20.else.if.i.i.prol ]
  %o.p.prol = getelementptr inbounds i64, ptr %3, i64 %0
  store i64 %steps.3.1.i.i.prol, ptr %o.p.prol, align 8
  %i.next.prol = add nuw i64 %0, 1
  br label %loop.prol.loopexit

loop.prol.loopexit:                               ; preds = %collatz_steps_lalA.exit.prol, %loop.preheader
  %i.unr = phi i64 [ %0, %loop.preheader ], [ %i.next.prol, %collatz_steps_lalA.exit.prol ]
  %6 = icmp eq i64 %1, %.neg
  br i1 %6, label %loop.exit, label %loop

loop:                                             ; preds = %loop.prol.loopexit, %collatz_steps_lalA.exit.1
  %i = phi i64 [ %i.next.1, %collatz_steps_lalA.exit.1 ], [ %i.unr, %loop.prol.loopexit ]
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %.14.not.i.i = icmp eq i64 %a, 1
  br i1 %.14.not.i.i, label %collatz_steps_lalA.exit, label %B20.else.if.i.i

B20.else.if.i.i:                                  ; preds = %loop, %B20.else.if.i.i
  %n.3.0.i.i = phi i64 [ %n.4.1.i.i, %B20.else.if.i.i ], [ %a, %loop ]
  %steps.2.0.i.i = phi i64 [ %.129.i.i, %B20.else.if.i.i ], [ 0, %loop ]
  %7 = and i64 %n.3.0.i.i, 1
  %.66.i.i = icmp eq i64 %7, 0
  %.118.i.i = mul nsw i64 %n.3.0.i.i, 3
  %.121.i.i = add nsw i64 %.118.i.i, 1
  %.89.i.i = ashr exact i64 %n.3.0.i.i, 1
  %n.4.1.i.i = select i1 %.66.i.i, i64 %.89.i.i, i64 %.121.i.i
  %.129.i.i = add nuw nsw i64 %steps.2.0.i.i, 1
  %.135.not.i.i = icmp eq i64 %n.4.1.i.i, 1
  br i1 %.135.not.i.i, label %collatz_steps_lalA.exit, label %B20.else.if.i.i

collatz_steps_lalA.exit:                          ; preds = %B20.else.if.i.i, %loop
  %steps.3.1.i.i = phi i64 [ 0, %loop ], [ %.129.i.i, %B20.else.if.i.i ]
  %o.p = getelementptr inbounds i64, ptr %3, i64 %i
  store i64 %steps.3.1.i.i, ptr %o.p, align 8
  %i.next = add nuw i64 %i, 1
  %a.p.1 = getelementptr inbounds i64, ptr %2, i64 %i.next
  %a.1 = load i64, ptr %a.p.1, align 8
  %.14.not.i.i.1 = icmp eq i64 %a.1, 1
  br i1 %.14.not.i.i.1, label %collatz_steps_lalA.exit.1, label %B20.else.if.i.i.1

B20.else.if.i.i.1:                                ; preds = %collatz_steps_lalA.exit, %B20.else.if.i.i.1
  %n.3.0.i.i.1 = phi i64 [ %n.4.1.i.i.1, %B20.else.if.i.i.1 ], [ %a.1, %collatz_steps_lalA.exit ]
  %steps.2.0.i.i.1 = phi i64 [ %.129.i.i.1, %B20.else.if.i.i.1 ], [ 0, %collatz_steps_lalA.exit ]
  %8 = and i64 %n.3.0.i.i.1, 1
  %.66.i.i.1 = icmp eq i64 %8, 0
  %.118.i.i.1 = mul nsw i64 %n.3.0.i.i.1, 3
  %.121.i.i.1 = add nsw i64 %.118.i.i.1, 1
  %.89.i.i.1 = ashr exact i64 %n.3.0.i.i.1, 1
  %n.4.1.i.i.1 = select i1 %.66.i.i.1, i64 %.89.i.i.1, i64 %.121.i.i.1
  %.129.i.i.1 = add nuw nsw i64 %steps.2.0.i.i.1, 1
  %.135.not.i.i.1 = icmp eq i64 %n.4.1.i.i.1, 1
  br i1 %.135.not.i.i.1, label %collatz_steps_lalA.exit.1, label %B20.else.if.i.i.1

collatz_steps_lalA.exit.1:                        ; preds = %B20.else.if.i.i.1, %collatz_steps_lalA.exit
  %steps.3.1.i.i.1 = phi i64 [ 0, %collatz_steps_lalA.exit ], [ %.129.i.i.1, %B20.else.if.i.i.1 ]
  %o.p.1 = getelementptr inbounds i64, ptr %3, i64 %i.next
  store i64 %steps.3.1.i.i.1, ptr %o.p.1, align 8
  %i.next.1 = add nuw i64 %i, 2
  %exitcond.not.1 = icmp eq i64 %i.next.1, %1
  br i1 %exitcond.not.1, label %loop.exit, label %loop

loop.exit:                                        ; preds = %loop.prol.loopexit, %collatz_steps_lalA.exit.1, %entry
  ret i64 0
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc noundef i64 @udf_kernel_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3, ptr noalias nonnull readonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %5 = sub nuw i64 %1, %0
  %.neg = add nuw i64 %0, 1
  %xtraiter = and i64 %5, 1
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %loop.prol.loopexit, label %loop.prol

loop.prol:                                        ; preds = %loop.preheader
  %byte.i.prol = lshr i64 %0, 3
  %byte.p.prol = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i.prol
  %byte.prol = load i8, ptr %byte.p.prol, align 1
  %6 = trunc i64 %0 to i8
  %bit.i8.prol = and i8 %6, 7
  %7 = shl nuw i8 1, %bit.i8.prol
  %8 = and i8 %7, %byte.prol
  %valid.not.prol = icmp eq i8 %8, 0
  br i1 %valid.not.prol, label %row.join.prol, label %row.valid.prol

row.valid.prol:                                   ; preds = %loop.prol
  %a.p.prol = getelementptr inbounds i64, ptr %2, i64 %0
  %a.prol = load i64, ptr %a.p.prol, align 8
  %.14.not.i.i.prol = icmp eq i64 %a.prol, 1
  br i1 %.14.not.i.i.prol, label %row.join.prol, label %B20.else.if.i.i.prol

B20.else.if.i.i.prol:                             ; preds = %row.valid.prol, %B20.else.if.i.i.prol
  %n.3.0.i.i.prol = phi i64 [ %n.4.1.i.i.prol, %B20.else.if.i.i.prol ], [ %a.prol, %row.valid.prol ]
  %steps.2.0.i.i.prol = phi i64 [ %.129.i.i.prol, %B20.else.if.i.i.prol ], [ 0, %row.valid.prol ]
  %9 = and i64 %n.3.0.i.i.prol, 1
  %.66.i.i.prol = icmp eq i64 %9, 0
  %.118.i.i.prol = mul nsw i64 %n.3.0.i.i.prol, 3
  %.121.i.i.prol = add nsw i64 %.118.i.i.prol, 1
  %.89.i.i.prol = ashr exact i64 %n.3.0.i.i.prol, 1
  %n.4.1.i.i.prol = select i1 %.66.i.i.prol, i64 %.89.i.i.prol, i64 %.121.i.i.prol
  %.129.i.i.prol = add nuw nsw i64 %steps.2.0.i.i.prol, 1
  %.135.not.i.i.prol = icmp eq i64 %n.4.1.i.i.prol, 1
  br i1 %.135.not.i.i.prol, label %row.join.prol, label %B20.else.if.i.i.prol

row.join.prol:                                    ; preds = %B20.else.if.i.i.prol, %row.valid.prol, %loop.prol
  %.sink.prol = phi i64 [ 0, %loop.prol ], [ 0, %row.valid.prol ], [ %.129.i.i.prol, %B20.else.if.i.i.prol ]
  %z.p.prol = getelementptr inbounds i64, ptr %3, i64 %0
  store i64 %.sink.prol, ptr %z.p.prol, align 8
  %i.next.prol = add nuw i64 %0, 1
  br label %loop.prol.loopexit

loop.prol.loopexit:                               ; preds = %row.join.prol, %loop.preheader
  %i.unr = phi i64 [ %0, %loop.preheader ], [ %i.next.prol, %row.join.prol ]
  %10 = icmp eq i64 %1, %.neg
  br i1 %10, label %loop.exit, label %loop

loop:                                             ; preds = %loop.prol.loopexit, %row.join.1
  %i = phi i64 [ %i.next.1, %row.join.1 ], [ %i.unr, %loop.prol.loopexit ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %11 = trunc i64 %i to i8
  %bit.i8 = and i8 %11, 7
  %12 = shl nuw i8 1, %bit.i8
  %13 = and i8 %12, %byte
  %valid.not = icmp eq i8 %13, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit:                                        ; preds = %loop.prol.loopexit, %row.join.1, %entry
  ret i64 0

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %.14.not.i.i = icmp eq i64 %a, 1
  br i1 %.14.not.i.i, label %row.join, label %B20.else.if.i.i

B20.else.if.i.i:                                  ; preds = %row.valid, %B20.else.if.i.i
  %n.3.0.i.i = phi i64 [ %n.4.1.i.i, %B20.else.if.i.i ], [ %a, %row.valid ]
  %steps.2.0.i.i = phi i64 [ %.129.i.i, %B20.else.if.i.i ], [ 0, %row.valid ]
  %14 = and i64 %n.3.0.i.i, 1
  %.66.i.i = icmp eq i64 %14, 0
  %.118.i.i = mul nsw i64 %n.3.0.i.i, 3
  %.121.i.i = add nsw i64 %.118.i.i, 1
  %.89.i.i = ashr exact i64 %n.3.0.i.i, 1
  %n.4.1.i.i = select i1 %.66.i.i, i64 %.89.i.i, i64 %.121.i.i
  %.129.i.i = add nuw nsw i64 %steps.2.0.i.i, 1
  %.135.not.i.i = icmp eq i64 %n.4.1.i.i, 1
  br i1 %.135.not.i.i, label %row.join, label %B20.else.if.i.i

row.join:                                         ; preds = %B20.else.if.i.i, %loop, %row.valid
  %.sink = phi i64 [ 0, %loop ], [ 0, %row.valid ], [ %.129.i.i, %B20.else.if.i.i ]
  %z.p = getelementptr inbounds i64, ptr %3, i64 %i
  store i64 %.sink, ptr %z.p, align 8
  %i.next = add nuw i64 %i, 1
  %byte.i.1 = lshr i64 %i.next, 3
  %byte.p.1 = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i.1
  %byte.1 = load i8, ptr %byte.p.1, align 1
  %15 = trunc i64 %i.next to i8
  %bit.i8.1 = and i8 %15, 7
  %16 = shl nuw i8 1, %bit.i8.1
  %17 = and i8 %16, %byte.1
  %valid.not.1 = icmp eq i8 %17, 0
  br i1 %valid.not.1, label %row.join.1, label %row.valid.1

row.valid.1:                                      ; preds = %row.join
  %a.p.1 = getelementptr inbounds i64, ptr %2, i64 %i.next
  %a.1 = load i64, ptr %a.p.1, align 8
  %.14.not.i.i.1 = icmp eq i64 %a.1, 1
  br i1 %.14.not.i.i.1, label %row.join.1, label %B20.else.if.i.i.1

B20.else.if.i.i.1:                                ; preds = %row.valid.1, %B20.else.if.i.i.1
  %n.3.0.i.i.1 = phi i64 [ %n.4.1.i.i.1, %B20.else.if.i.i.1 ], [ %a.1, %row.valid.1 ]
  %steps.2.0.i.i.1 = phi i64 [ %.129.i.i.1, %B20.else.if.i.i.1 ], [ 0, %row.valid.1 ]
  %18 = and i64 %n.3.0.i.i.1, 1
  %.66.i.i.1 = icmp eq i64 %18, 0
  %.118.i.i.1 = mul nsw i64 %n.3.0.i.i.1, 3
  %.121.i.i.1 = add nsw i64 %.118.i.i.1, 1
  %.89.i.i.1 = ashr exact i64 %n.3.0.i.i.1, 1
  %n.4.1.i.i.1 = select i1 %.66.i.i.1, i64 %.89.i.i.1, i64 %.121.i.i.1
  %.129.i.i.1 = add nuw nsw i64 %steps.2.0.i.i.1, 1
  %.135.not.i.i.1 = icmp eq i64 %n.4.1.i.i.1, 1
  br i1 %.135.not.i.i.1, label %row.join.1, label %B20.else.if.i.i.1

row.join.1:                                       ; preds = %B20.else.if.i.i.1, %row.valid.1, %row.join
  %.sink.1 = phi i64 [ 0, %row.join ], [ 0, %row.valid.1 ], [ %.129.i.i.1, %B20.else.if.i.i.1 ]
  %z.p.1 = getelementptr inbounds i64, ptr %3, i64 %i.next
  store i64 %.sink.1, ptr %z.p.1, align 8
  %i.next.1 = add nuw i64 %i, 2
  %exitcond.not.1 = icmp eq i64 %i.next.1, %1
  br i1 %exitcond.not.1, label %loop.exit, label %loop
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %loop.exit, %dense
  %common.ret.op = phi i64 [ %range.hits, %dense ], [ %hits.total, %loop.exit ]
  ret i64 %common.ret.op

dense:                                            ; preds = %entry
  %range.hits = tail call fastcc i64 @udf_kernel_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %2)
  br label %common.ret

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any.not = icmp eq i64 %words, 0
  br i1 %loop.any.not, label %loop.exit, label %loop

loop:                                             ; preds = %masked, %word.join
  %i = phi i64 [ %i.next, %word.join ], [ 0, %masked ]
  %hits.acc = phi i64 [ %hits, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i, 6
  %w.hi = add nuw i64 %w.lo, 64
  switch i64 %w.bits, label %word.mixed [
    i64 -1, label %word.full
    i64 0, label %word.empty
  ]

loop.exit:                                        ; preds = %word.join, %masked
  %hits.out = phi i64 [ 0, %masked ], [ %hits, %word.join ]
  %tail.lo = and i64 %0, -64
  %range.hits3 = tail call fastcc i64 @udf_kernel_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %2, ptr %3)
  %hits.total = add i64 %range.hits3, %hits.out
  br label %common.ret

word.full:                                        ; preds = %loop
  %range.hits1 = tail call fastcc i64 @udf_kernel_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2)
  br label %word.join

word.empty:                                       ; preds = %loop
  %z.p = getelementptr inbounds i64, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.join

word.mixed:                                       ; preds = %loop
  %range.hits2 = tail call fastcc i64 @udf_kernel_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2, ptr %3)
  br label %word.join

word.join:                                        ; preds = %word.mixed, %word.empty, %word.full
  %w.hits = phi i64 [ %range.hits1, %word.full ], [ 0, %word.empty ], [ %range.hits2, %word.mixed ]
  %hits = add i64 %w.hits, %hits.acc
  %i.next = add nuw nsw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %words
  br i1 %exitcond.not, label %loop.exit, label %loop
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #2

attributes #0 = { nofree noinline norecurse nosync nounwind memory(argmem: readwrite) }
attributes #1 = { nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
