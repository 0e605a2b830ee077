; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nounwind memory(argmem: readwrite)
define internal fastcc range(i64 -1, 1) i64 @udf_kernel_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3, ptr readonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop, label %common.ret

loop:                                             ; preds = %entry, %collatz_steps_lalA.exit
  %i = phi i64 [ %i.next, %collatz_steps_lalA.exit ], [ %0, %entry ]
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %.14.not.i.i = icmp eq i64 %a, 1
  br i1 %.14.not.i.i, label %collatz_steps_lalA.exit, label %B20.else.if.i.i

B20.else.if.i.i:                                  ; preds = %loop, %interrupt.check
  %steps.2.0.i.i = phi i64 [ %.129.i.i, %interrupt.check ], [ 0, %loop ]
  %n.3.0.i.i = phi i64 [ %n.4.1.i.i, %interrupt.check ], [ %a, %loop ]
  %5 = and i64 %n.3.0.i.i, 1
  %.66.i.i = icmp eq i64 %5, 0
  %.118.i.i = mul nsw i64 %n.3.0.i.i, 3
  %.121.i.i = add nsw i64 %.118.i.i, 1
  %.89.i.i = ashr exact i64 %n.3.0.i.i, 1
  %n.4.1.i.i = select i1 %.66.i.i, i64 %.89.i.i, i64 %.121.i.i
  %.129.i.i = add nuw nsw i64 %steps.2.0.i.i, 1
  %.135.not.i.i = icmp eq i64 %n.4.1.i.i, 1
  br i1 %.135.not.i.i, label %collatz_steps_lalA.exit, label %interrupt.check

collatz_steps_lalA.exit:                          ; preds = %B20.else.if.i.i, %loop
  %steps.3.1.i.i = phi i64 [ 0, %loop ], [ %.129.i.i, %B20.else.if.i.i ]
  %o.p = getelementptr inbounds i64, ptr %3, i64 %i
  store i64 %steps.3.1.i.i, ptr %o.p, align 8
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %common.ret, label %loop

common.ret:                                       ; preds = %collatz_steps_lalA.exit, %interrupt.check, %entry
  %common.ret.op = phi i64 [ -1, %interrupt.check ], [ 0, %entry ], [ 0, %collatz_steps_lalA.exit ]
  ret i64 %common.ret.op

interrupt.check:                                  ; preds = %B20.else.if.i.i
  %interrupt = load atomic i32, ptr %4 monotonic, align 4
  %interrupted.not = icmp eq i32 %interrupt, 0
  br i1 %interrupted.not, label %B20.else.if.i.i, label %common.ret
}

; Function Attrs: nofree noinline norecurse nounwind memory(argmem: readwrite)
define internal fastcc range(i64 -1, 1) i64 @udf_kernel_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3, ptr noalias nonnull readonly captures(none) %4, ptr readonly captures(none) %5) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop, label %common.ret

loop:                                             ; preds = %entry, %row.join
  %i = phi i64 [ %i.next, %row.join ], [ %0, %entry ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %6 = trunc i64 %i to i8
  %bit.i8 = and i8 %6, 7
  %7 = shl nuw i8 1, %bit.i8
  %8 = and i8 %7, %byte
  %valid.not = icmp eq i8 %8, 0
  br i1 %valid.not, label %row.join, label %row.valid

common.ret:                                       ; preds = %row.join, %interrupt.check, %entry
  %common.ret.op = phi i64 [ -1, %interrupt.check ], [ 0, %entry ], [ 0, %row.join ]
  ret i64 %common.ret.op

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %.14.not.i.i = icmp eq i64 %a, 1
  br i1 %.14.not.i.i, label %row.join, label %B20.else.if.i.i

B20.else.if.i.i:                                  ; preds = %row.valid, %interrupt.check
  %steps.2.0.i.i = phi i64 [ %.129.i.i, %interrupt.check ], [ 0, %row.valid ]
  %n.3.0.i.i = phi i64 [ %n.4.1.i.i, %interrupt.check ], [ %a, %row.valid ]
  %9 = and i64 %n.3.0.i.i, 1
  %.66.i.i = icmp eq i64 %9, 0
  %.118.i.i = mul nsw i64 %n.3.0.i.i, 3
  %.121.i.i = add nsw i64 %.118.i.i, 1
  %.89.i.i = ashr exact i64 %n.3.0.i.i, 1
  %n.4.1.i.i = select i1 %.66.i.i, i64 %.89.i.i, i64 %.121.i.i
  %.129.i.i = add nuw nsw i64 %steps.2.0.i.i, 1
  %.135.not.i.i = icmp eq i64 %n.4.1.i.i, 1
  br i1 %.135.not.i.i, label %row.join, label %interrupt.check

row.join:                                         ; preds = %B20.else.if.i.i, %loop, %row.valid
  %.sink = phi i64 [ 0, %loop ], [ 0, %row.valid ], [ %.129.i.i, %B20.else.if.i.i ]
  %z.p = getelementptr inbounds i64, ptr %3, i64 %i
  store i64 %.sink, ptr %z.p, align 8
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %common.ret, label %loop

interrupt.check:                                  ; preds = %B20.else.if.i.i
  %interrupt = load atomic i32, ptr %5 monotonic, align 4
  %interrupted.not = icmp eq i32 %interrupt, 0
  br i1 %interrupted.not, label %B20.else.if.i.i, label %common.ret
}

; Function Attrs: nofree norecurse nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define range(i64 -1, 1) i64 @udf_kernel_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3, ptr readonly captures(none) %4) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %word.join, %loop.exit, %dense
  %common.ret.op = phi i64 [ %range.hits, %dense ], [ %range.hits3, %loop.exit ], [ -1, %word.join ]
  ret i64 %common.ret.op

dense:                                            ; preds = %entry
  %range.hits = tail call fastcc i64 @udf_kernel_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %2, ptr %4)
  br label %common.ret

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any.not = icmp eq i64 %words, 0
  br i1 %loop.any.not, label %loop.exit, label %loop

loop:                                             ; preds = %masked, %word.next
  %i = phi i64 [ %i.next, %word.next ], [ 0, %masked ]
  %w.byte = shl i64 %i, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i, 6
  %w.hi = add nuw i64 %w.lo, 64
  switch i64 %w.bits, label %word.mixed [
    i64 -1, label %word.full
    i64 0, label %word.join.thread
  ]

loop.exit:                                        ; preds = %word.next, %masked
  %tail.lo = and i64 %0, -64
  %range.hits3 = tail call fastcc i64 @udf_kernel_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %2, ptr %3, ptr %4)
  br label %common.ret

word.full:                                        ; preds = %loop
  %range.hits1 = tail call fastcc i64 @udf_kernel_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2, ptr %4)
  br label %word.join

word.join.thread:                                 ; preds = %loop
  %z.p = getelementptr inbounds i64, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.next

word.mixed:                                       ; preds = %loop
  %range.hits2 = tail call fastcc i64 @udf_kernel_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2, ptr %3, ptr %4)
  br label %word.join

word.join:                                        ; preds = %word.mixed, %word.full
  %w.hits = phi i64 [ %range.hits1, %word.full ], [ %range.hits2, %word.mixed ]
  %w.stop = icmp slt i64 %w.hits, 0
  br i1 %w.stop, label %common.ret, label %word.next

word.next:                                        ; preds = %word.join.thread, %word.join
  %i.next = add nuw nsw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %words
  br i1 %exitcond.not, label %loop.exit, label %loop
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #2

attributes #0 = { nofree noinline norecurse nounwind memory(argmem: readwrite) "probe-stack"="inline-asm" }
attributes #1 = { nofree norecurse nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) "probe-stack"="inline-asm" }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
