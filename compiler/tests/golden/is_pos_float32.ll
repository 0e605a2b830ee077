; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc void @udf_kernel_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %4 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %4, 8
  br i1 %min.iters.check, label %loop.preheader1, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %4, -8
  %5 = add i64 %0, %n.vec
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %offset.idx = add i64 %0, %index
  %6 = getelementptr inbounds float, ptr %2, i64 %offset.idx
  %wide.load = load <8 x float>, ptr %6, align 4
  %7 = fcmp ogt <8 x float> %wide.load, zeroinitializer
  %8 = zext <8 x i1> %7 to <8 x i8>
  %9 = getelementptr inbounds i8, ptr %3, i64 %offset.idx
  store <8 x i8> %8, ptr %9, align 1
  %index.next = add nuw i64 %index, 8
  %10 = icmp eq i64 %index.next, %n.vec
  br i1 %10, label %middle.block, label %vector.body, !llvm.loop !2

middle.block:                                     ; preds = %vector.body
  %cmp.n = icmp eq i64 %4, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader1

loop.preheader1:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %5, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader1, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader1 ]
  %a.p = getelementptr inbounds float, ptr %2, i64 %i
  %a = load float, ptr %a.p, align 4
  %.7.i.i = fcmp ogt float %a, 0.000000e+00
  %.18.0.i = zext i1 %.7.i.i to i8
  %o.p = getelementptr inbounds i8, ptr %3, i64 %i
  store i8 %.18.0.i, ptr %o.p, align 1
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !5

loop.exit:                                        ; preds = %loop, %middle.block, %entry
  ret void
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc void @udf_kernel_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3, ptr noalias nonnull readonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %5 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %5, 8
  br i1 %min.iters.check, label %loop.preheader1, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %5, -8
  %6 = add i64 %0, %n.vec
  %7 = trunc i64 %0 to i8
  %broadcast.splatinsert = insertelement <8 x i8> poison, i8 %7, i64 0
  %broadcast.splat = shufflevector <8 x i8> %broadcast.splatinsert, <8 x i8> poison, <8 x i32> zeroinitializer
  %induction = add <8 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3, i8 4, i8 5, i8 6, i8 7>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.ind = phi <8 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
  %offset.idx = add i64 %0, %index
  %8 = add i64 %offset.idx, 1
  %9 = add i64 %offset.idx, 2
  %10 = add i64 %offset.idx, 3
  %11 = add i64 %offset.idx, 4
  %12 = add i64 %offset.idx, 5
  %13 = add i64 %offset.idx, 6
  %14 = add i64 %offset.idx, 7
  %15 = lshr i64 %offset.idx, 3
  %16 = lshr i64 %8, 3
  %17 = lshr i64 %9, 3
  %18 = lshr i64 %10, 3
  %19 = lshr i64 %11, 3
  %20 = lshr i64 %12, 3
  %21 = lshr i64 %13, 3
  %22 = lshr i64 %14, 3
  %23 = getelementptr inbounds nuw i8, ptr %4, i64 %15
  %24 = getelementptr inbounds nuw i8, ptr %4, i64 %16
  %25 = getelementptr inbounds nuw i8, ptr %4, i64 %17
  %26 = getelementptr inbounds nuw i8, ptr %4, i64 %18
  %27 = getelementptr inbounds nuw i8, ptr %4, i64 %19
  %28 = getelementptr inbounds nuw i8, ptr %4, i64 %20
  %29 = getelementptr inbounds nuw i8, ptr %4, i64 %21
  %30 = getelementptr inbounds nuw i8, ptr %4, i64 %22
  %31 = load i8, ptr %23, align 1
  %32 = load i8, ptr %24, align 1
  %33 = load i8, ptr %25, align 1
  %34 = load i8, ptr %26, align 1
  %35 = load i8, ptr %27, align 1
  %36 = load i8, ptr %28, align 1
  %37 = load i8, ptr %29, align 1
  %38 = load i8, ptr %30, align 1
  %39 = insertelement <8 x i8> poison, i8 %31, i64 0
  %40 = insertelement <8 x i8> %39, i8 %32, i64 1
  %41 = insertelement <8 x i8> %40, i8 %33, i64 2
  %42 = insertelement <8 x i8> %41, i8 %34, i64 3
  %43 = insertelement <8 x i8> %42, i8 %35, i64 4
  %44 = insertelement <8 x i8> %43, i8 %36, i64 5
  %45 = insertelement <8 x i8> %44, i8 %37, i64 6
  %46 = insertelement <8 x i8> %45, i8 %38, i64 7
  %47 = and <8 x i8> %vec.ind, splat (i8 7)
  %48 = shl nuw <8 x i8> splat (i8 1), %47
  %49 = and <8 x i8> %48, %46
  %50 = icmp ne <8 x i8> %49, zeroinitializer
  %51 = getelementptr float, ptr %2, i64 %offset.idx
  %wide.masked.load = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %51, <8 x i1> %50, <8 x float> poison)
  %52 = fcmp ogt <8 x float> %wide.masked.load, zeroinitializer
  %narrow = select <8 x i1> %50, <8 x i1> %52, <8 x i1> zeroinitializer
  %predphi = zext <8 x i1> %narrow to <8 x i8>
  %53 = getelementptr inbounds i8, ptr %3, i64 %offset.idx
  store <8 x i8> %predphi, ptr %53, align 1
  %index.next = add nuw i64 %index, 8
  %vec.ind.next = add <8 x i8> %vec.ind, splat (i8 8)
  %54 = icmp eq i64 %index.next, %n.vec
  br i1 %54, label %middle.block, label %vector.body, !llvm.loop !6

middle.block:                                     ; preds = %vector.body
  %cmp.n = icmp eq i64 %5, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader1

loop.preheader1:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %6, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader1, %row.join
  %i = phi i64 [ %i.next, %row.join ], [ %i.ph, %loop.preheader1 ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %55 = trunc i64 %i to i8
  %bit.i8 = and i8 %55, 7
  %56 = shl nuw i8 1, %bit.i8
  %57 = and i8 %56, %byte
  %valid.not = icmp eq i8 %57, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit:                                        ; preds = %row.join, %middle.block, %entry
  ret void

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds float, ptr %2, i64 %i
  %a = load float, ptr %a.p, align 4
  %.7.i.i = fcmp ogt float %a, 0.000000e+00
  %.18.0.i = zext i1 %.7.i.i to i8
  br label %row.join

row.join:                                         ; preds = %loop, %row.valid
  %.18.0.i.sink = phi i8 [ %.18.0.i, %row.valid ], [ 0, %loop ]
  %58 = getelementptr inbounds i8, ptr %3, i64 %i
  store i8 %.18.0.i.sink, ptr %58, align 1
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !7
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define noundef i64 @udf_kernel_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3, ptr readnone captures(none) %4) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %loop.exit, %dense
  ret i64 0

dense:                                            ; preds = %entry
  tail call fastcc void @udf_kernel_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %2)
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
    i64 0, label %word.empty
  ]

loop.exit:                                        ; preds = %word.next, %masked
  %tail.lo = and i64 %0, -64
  tail call fastcc void @udf_kernel_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %2, ptr %3)
  br label %common.ret

word.full:                                        ; preds = %loop
  tail call fastcc void @udf_kernel_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2)
  br label %word.next

word.empty:                                       ; preds = %loop
  %z.p = getelementptr inbounds i8, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(64) %z.p, i8 0, i64 64, i1 false)
  br label %word.next

word.mixed:                                       ; preds = %loop
  tail call fastcc void @udf_kernel_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2, ptr %3)
  br label %word.next

word.next:                                        ; preds = %word.full, %word.empty, %word.mixed
  %i.next = add nuw nsw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %words
  br i1 %exitcond.not, label %loop.exit, label %loop
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #2

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <8 x float> @llvm.masked.load.v8f32.p0(ptr captures(none), <8 x i1>, <8 x float>) #3

attributes #0 = { nofree noinline norecurse nosync nounwind memory(argmem: readwrite) "probe-stack"="inline-asm" }
attributes #1 = { nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) "probe-stack"="inline-asm" }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #3 = { nocallback nofree nosync nounwind willreturn memory(argmem: read) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = distinct !{!2, !3, !4}
!3 = !{!"llvm.loop.isvectorized", i32 1}
!4 = !{!"llvm.loop.unroll.runtime.disable"}
!5 = distinct !{!5, !4, !3}
!6 = distinct !{!6, !3, !4}
!7 = distinct !{!7, !4, !3}
