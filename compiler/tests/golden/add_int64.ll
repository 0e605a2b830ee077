; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %5 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %5, 4
  br i1 %min.iters.check, label %loop.preheader3, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %5, -4
  %6 = add i64 %0, %n.vec
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %13, %vector.body ]
  %offset.idx = add i64 %0, %index
  %7 = getelementptr inbounds i64, ptr %2, i64 %offset.idx
  %wide.load = load <4 x i64>, ptr %7, align 8
  %8 = getelementptr inbounds i64, ptr %3, i64 %offset.idx
  %wide.load2 = load <4 x i64>, ptr %8, align 8
  %9 = add nsw <4 x i64> %wide.load2, %wide.load
  %10 = getelementptr inbounds i64, ptr %4, i64 %offset.idx
  store <4 x i64> %9, ptr %10, align 8
  %11 = icmp eq <4 x i64> %9, splat (i64 -9223372036854775808)
  %12 = zext <4 x i1> %11 to <4 x i64>
  %13 = add <4 x i64> %vec.phi, %12
  %index.next = add nuw i64 %index, 4
  %14 = icmp eq i64 %index.next, %n.vec
  br i1 %14, label %middle.block, label %vector.body, !llvm.loop !2

middle.block:                                     ; preds = %vector.body
  %15 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %13)
  %cmp.n = icmp eq i64 %5, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader3

loop.preheader3:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %6, %middle.block ]
  %hits.acc.ph = phi i64 [ 0, %loop.preheader ], [ %15, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader3, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader3 ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader3 ]
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %a.p1 = getelementptr inbounds i64, ptr %3, i64 %i
  %a2 = load i64, ptr %a.p1, align 8
  %.6.i.i = add nsw i64 %a2, %a
  %o.p = getelementptr inbounds i64, ptr %4, i64 %i
  store i64 %.6.i.i, ptr %o.p, align 8
  %r.null = icmp eq i64 %.6.i.i, -9223372036854775808
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !5

loop.exit:                                        ; preds = %loop, %middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %15, %middle.block ], [ %hits, %loop ]
  ret i64 %hits.out
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4, ptr noalias nonnull readonly captures(none) %5) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %6 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %6, 4
  br i1 %min.iters.check, label %loop.preheader4, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %6, -4
  %7 = add i64 %0, %n.vec
  %8 = trunc i64 %0 to i8
  %broadcast.splatinsert = insertelement <4 x i8> poison, i8 %8, i64 0
  %broadcast.splat = shufflevector <4 x i8> %broadcast.splatinsert, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction = add <4 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %37, %vector.body ]
  %vec.ind = phi <4 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
  %offset.idx = add i64 %0, %index
  %9 = add i64 %offset.idx, 1
  %10 = add i64 %offset.idx, 2
  %11 = add i64 %offset.idx, 3
  %12 = lshr i64 %offset.idx, 3
  %13 = lshr i64 %9, 3
  %14 = lshr i64 %10, 3
  %15 = lshr i64 %11, 3
  %16 = getelementptr inbounds nuw i8, ptr %5, i64 %12
  %17 = getelementptr inbounds nuw i8, ptr %5, i64 %13
  %18 = getelementptr inbounds nuw i8, ptr %5, i64 %14
  %19 = getelementptr inbounds nuw i8, ptr %5, i64 %15
  %20 = load i8, ptr %16, align 1
  %21 = load i8, ptr %17, align 1
  %22 = load i8, ptr %18, align 1
  %23 = load i8, ptr %19, align 1
  %24 = insertelement <4 x i8> poison, i8 %20, i64 0
  %25 = insertelement <4 x i8> %24, i8 %21, i64 1
  %26 = insertelement <4 x i8> %25, i8 %22, i64 2
  %27 = insertelement <4 x i8> %26, i8 %23, i64 3
  %28 = and <4 x i8> %vec.ind, splat (i8 7)
  %29 = shl nuw <4 x i8> splat (i8 1), %28
  %30 = and <4 x i8> %29, %27
  %31 = icmp ne <4 x i8> %30, zeroinitializer
  %32 = getelementptr i64, ptr %2, i64 %offset.idx
  %wide.masked.load = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %32, <4 x i1> %31, <4 x i64> poison)
  %33 = getelementptr i64, ptr %3, i64 %offset.idx
  %wide.masked.load2 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %33, <4 x i1> %31, <4 x i64> poison)
  %34 = add nsw <4 x i64> %wide.masked.load2, %wide.masked.load
  %35 = icmp eq <4 x i64> %34, splat (i64 -9223372036854775808)
  %predphi = select <4 x i1> %31, <4 x i64> %34, <4 x i64> zeroinitializer
  %narrow = select <4 x i1> %31, <4 x i1> %35, <4 x i1> zeroinitializer
  %predphi3 = zext <4 x i1> %narrow to <4 x i64>
  %36 = getelementptr inbounds i64, ptr %4, i64 %offset.idx
  store <4 x i64> %predphi, ptr %36, align 8
  %37 = add <4 x i64> %vec.phi, %predphi3
  %index.next = add nuw i64 %index, 4
  %vec.ind.next = add <4 x i8> %vec.ind, splat (i8 4)
  %38 = icmp eq i64 %index.next, %n.vec
  br i1 %38, label %middle.block, label %vector.body, !llvm.loop !6

middle.block:                                     ; preds = %vector.body
  %39 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %37)
  %cmp.n = icmp eq i64 %6, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader4

loop.preheader4:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %7, %middle.block ]
  %hits.acc.ph = phi i64 [ 0, %loop.preheader ], [ %39, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader4, %row.join
  %i = phi i64 [ %i.next, %row.join ], [ %i.ph, %loop.preheader4 ]
  %hits.acc = phi i64 [ %hits, %row.join ], [ %hits.acc.ph, %loop.preheader4 ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %5, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %40 = trunc i64 %i to i8
  %bit.i8 = and i8 %40, 7
  %41 = shl nuw i8 1, %bit.i8
  %42 = and i8 %41, %byte
  %valid.not = icmp eq i8 %42, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit:                                        ; preds = %row.join, %middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %39, %middle.block ], [ %hits, %row.join ]
  ret i64 %hits.out

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds i64, ptr %2, i64 %i
  %a = load i64, ptr %a.p, align 8
  %a.p1 = getelementptr inbounds i64, ptr %3, i64 %i
  %a2 = load i64, ptr %a.p1, align 8
  %.6.i.i = add nsw i64 %a2, %a
  %r.null = icmp eq i64 %.6.i.i, -9223372036854775808
  %r.null64 = zext i1 %r.null to i64
  br label %row.join

row.join:                                         ; preds = %loop, %row.valid
  %.6.i.i.sink = phi i64 [ %.6.i.i, %row.valid ], [ 0, %loop ]
  %hit = phi i64 [ %r.null64, %row.valid ], [ 0, %loop ]
  %43 = getelementptr inbounds i64, ptr %4, i64 %i
  store i64 %.6.i.i.sink, ptr %43, align 8
  %hits = add i64 %hit, %hits.acc
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !7
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3, ptr readnone captures(none) %4) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %arg.slot1 = getelementptr inbounds nuw i8, ptr %1, i64 8
  %arg.col2 = load ptr, ptr %arg.slot1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %word.join, %loop.exit, %dense
  %common.ret.op = phi i64 [ %range.hits, %dense ], [ %hits.result, %loop.exit ], [ %w.hits, %word.join ]
  ret i64 %common.ret.op

dense:                                            ; preds = %entry
  %range.hits = tail call fastcc i64 @udf_kernel_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %arg.col2, ptr %2)
  br label %common.ret

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any.not = icmp eq i64 %words, 0
  br i1 %loop.any.not, label %loop.exit, label %loop

loop:                                             ; preds = %masked, %word.next
  %i = phi i64 [ %i.next, %word.next ], [ 0, %masked ]
  %hits.acc = phi i64 [ %hits, %word.next ], [ 0, %masked ]
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
  %hits.out = phi i64 [ 0, %masked ], [ %hits, %word.next ]
  %tail.lo = and i64 %0, -64
  %range.hits5 = tail call fastcc i64 @udf_kernel_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %arg.col2, ptr %2, ptr %3)
  %tail.stop = icmp slt i64 %range.hits5, 0
  %hits.total = select i1 %tail.stop, i64 0, i64 %hits.out
  %hits.result = add i64 %hits.total, %range.hits5
  br label %common.ret

word.full:                                        ; preds = %loop
  %range.hits3 = tail call fastcc i64 @udf_kernel_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %arg.col2, ptr %2)
  br label %word.join

word.join.thread:                                 ; preds = %loop
  %z.p = getelementptr inbounds i64, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.next

word.mixed:                                       ; preds = %loop
  %range.hits4 = tail call fastcc i64 @udf_kernel_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %arg.col2, ptr %2, ptr %3)
  br label %word.join

word.join:                                        ; preds = %word.mixed, %word.full
  %w.hits = phi i64 [ %range.hits3, %word.full ], [ %range.hits4, %word.mixed ]
  %w.stop = icmp slt i64 %w.hits, 0
  br i1 %w.stop, label %common.ret, label %word.next

word.next:                                        ; preds = %word.join.thread, %word.join
  %w.hits8 = phi i64 [ 0, %word.join.thread ], [ %w.hits, %word.join ]
  %hits = add i64 %w.hits8, %hits.acc
  %i.next = add nuw nsw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %words
  br i1 %exitcond.not, label %loop.exit, label %loop
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #2

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>) #3

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <4 x i64> @llvm.masked.load.v4i64.p0(ptr captures(none), <4 x i1>, <4 x i64>) #4

attributes #0 = { nofree noinline norecurse nosync nounwind memory(argmem: readwrite) "probe-stack"="inline-asm" }
attributes #1 = { nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) "probe-stack"="inline-asm" }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #3 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }
attributes #4 = { nocallback nofree nosync nounwind willreturn memory(argmem: read) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = distinct !{!2, !3, !4}
!3 = !{!"llvm.loop.isvectorized", i32 1}
!4 = !{!"llvm.loop.unroll.runtime.disable"}
!5 = distinct !{!5, !4, !3}
!6 = distinct !{!6, !3, !4}
!7 = distinct !{!7, !4, !3}
