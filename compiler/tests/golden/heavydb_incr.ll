; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %iter.check, label %loop.exit

iter.check:                                       ; preds = %entry
  %4 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %4, 4
  br i1 %min.iters.check, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check2 = icmp ult i64 %4, 16
  br i1 %min.iters.check2, label %vec.epilog.ph, label %vector.ph

vector.ph:                                        ; preds = %vector.main.loop.iter.check
  %n.mod.vf = and i64 %4, 12
  %n.vec = and i64 %4, -16
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %26, %vector.body ]
  %vec.phi3 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %27, %vector.body ]
  %vec.phi4 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %28, %vector.body ]
  %vec.phi5 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %29, %vector.body ]
  %5 = add i64 %0, %index
  %6 = getelementptr inbounds i32, ptr %2, i64 %5
  %7 = getelementptr inbounds nuw i8, ptr %6, i64 16
  %8 = getelementptr inbounds nuw i8, ptr %6, i64 32
  %9 = getelementptr inbounds nuw i8, ptr %6, i64 48
  %wide.load = load <4 x i32>, ptr %6, align 4
  %wide.load6 = load <4 x i32>, ptr %7, align 4
  %wide.load7 = load <4 x i32>, ptr %8, align 4
  %wide.load8 = load <4 x i32>, ptr %9, align 4
  %10 = add <4 x i32> %wide.load, splat (i32 1)
  %11 = add <4 x i32> %wide.load6, splat (i32 1)
  %12 = add <4 x i32> %wide.load7, splat (i32 1)
  %13 = add <4 x i32> %wide.load8, splat (i32 1)
  %14 = getelementptr inbounds i32, ptr %3, i64 %5
  %15 = getelementptr inbounds nuw i8, ptr %14, i64 16
  %16 = getelementptr inbounds nuw i8, ptr %14, i64 32
  %17 = getelementptr inbounds nuw i8, ptr %14, i64 48
  store <4 x i32> %10, ptr %14, align 4
  store <4 x i32> %11, ptr %15, align 4
  store <4 x i32> %12, ptr %16, align 4
  store <4 x i32> %13, ptr %17, align 4
  %18 = icmp eq <4 x i32> %10, splat (i32 -2147483648)
  %19 = icmp eq <4 x i32> %11, splat (i32 -2147483648)
  %20 = icmp eq <4 x i32> %12, splat (i32 -2147483648)
  %21 = icmp eq <4 x i32> %13, splat (i32 -2147483648)
  %22 = zext <4 x i1> %18 to <4 x i64>
  %23 = zext <4 x i1> %19 to <4 x i64>
  %24 = zext <4 x i1> %20 to <4 x i64>
  %25 = zext <4 x i1> %21 to <4 x i64>
  %26 = add <4 x i64> %vec.phi, %22
  %27 = add <4 x i64> %vec.phi3, %23
  %28 = add <4 x i64> %vec.phi4, %24
  %29 = add <4 x i64> %vec.phi5, %25
  %index.next = add nuw i64 %index, 16
  %30 = icmp eq i64 %index.next, %n.vec
  br i1 %30, label %middle.block, label %vector.body, !llvm.loop !2

middle.block:                                     ; preds = %vector.body
  %bin.rdx = add <4 x i64> %27, %26
  %bin.rdx9 = add <4 x i64> %28, %bin.rdx
  %bin.rdx10 = add <4 x i64> %29, %bin.rdx9
  %31 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx10)
  %cmp.n = icmp eq i64 %4, %n.vec
  br i1 %cmp.n, label %loop.exit, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block
  %ind.end = add i64 %0, %n.vec
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !5

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %bc.merge.rdx = phi i64 [ %31, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec12 = and i64 %4, -4
  %32 = add i64 %0, %n.vec12
  %33 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %bc.merge.rdx, i64 0
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index13 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next16, %vec.epilog.vector.body ]
  %vec.phi14 = phi <4 x i64> [ %33, %vec.epilog.ph ], [ %39, %vec.epilog.vector.body ]
  %offset.idx = add i64 %0, %index13
  %34 = getelementptr inbounds i32, ptr %2, i64 %offset.idx
  %wide.load15 = load <4 x i32>, ptr %34, align 4
  %35 = add <4 x i32> %wide.load15, splat (i32 1)
  %36 = getelementptr inbounds i32, ptr %3, i64 %offset.idx
  store <4 x i32> %35, ptr %36, align 4
  %37 = icmp eq <4 x i32> %35, splat (i32 -2147483648)
  %38 = zext <4 x i1> %37 to <4 x i64>
  %39 = add <4 x i64> %vec.phi14, %38
  %index.next16 = add nuw i64 %index13, 4
  %40 = icmp eq i64 %index.next16, %n.vec12
  br i1 %40, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !6

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %41 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %39)
  %cmp.n17 = icmp eq i64 %4, %n.vec12
  br i1 %cmp.n17, label %loop.exit, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ %0, %iter.check ], [ %ind.end, %vec.epilog.iter.check ], [ %32, %vec.epilog.middle.block ]
  %hits.acc.ph = phi i64 [ 0, %iter.check ], [ %31, %vec.epilog.iter.check ], [ %41, %vec.epilog.middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader ]
  %a.p = getelementptr inbounds i32, ptr %2, i64 %i
  %a = load i32, ptr %a.p, align 4
  %.6.i.i = add i32 %a, 1
  %o.p = getelementptr inbounds i32, ptr %3, i64 %i
  store i32 %.6.i.i, ptr %o.p, align 4
  %r.null = icmp eq i32 %.6.i.i, -2147483648
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !7

loop.exit:                                        ; preds = %loop, %middle.block, %vec.epilog.middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %41, %vec.epilog.middle.block ], [ %31, %middle.block ], [ %hits, %loop ]
  ret i64 %hits.out
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias writeonly captures(none) %3, ptr noalias nonnull readonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %5 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %5, 8
  br i1 %min.iters.check, label %loop.preheader8, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %5, -8
  %6 = add i64 %0, %n.vec
  %7 = trunc i64 %0 to i8
  %broadcast.splatinsert = insertelement <4 x i8> poison, i8 %7, i64 0
  %broadcast.splat = shufflevector <4 x i8> %broadcast.splatinsert, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction = add <4 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %64, %vector.body ]
  %vec.phi2 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %65, %vector.body ]
  %vec.ind = phi <4 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
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
  %35 = insertelement <4 x i8> poison, i8 %31, i64 0
  %36 = insertelement <4 x i8> %35, i8 %32, i64 1
  %37 = insertelement <4 x i8> %36, i8 %33, i64 2
  %38 = insertelement <4 x i8> %37, i8 %34, i64 3
  %39 = load i8, ptr %27, align 1
  %40 = load i8, ptr %28, align 1
  %41 = load i8, ptr %29, align 1
  %42 = load i8, ptr %30, align 1
  %43 = insertelement <4 x i8> poison, i8 %39, i64 0
  %44 = insertelement <4 x i8> %43, i8 %40, i64 1
  %45 = insertelement <4 x i8> %44, i8 %41, i64 2
  %46 = insertelement <4 x i8> %45, i8 %42, i64 3
  %47 = and <4 x i8> %vec.ind, splat (i8 7)
  %48 = and <4 x i8> %vec.ind, splat (i8 7)
  %49 = xor <4 x i8> %48, splat (i8 4)
  %50 = shl nuw <4 x i8> splat (i8 1), %47
  %51 = shl nuw <4 x i8> splat (i8 1), %49
  %52 = and <4 x i8> %50, %38
  %53 = and <4 x i8> %51, %46
  %54 = icmp ne <4 x i8> %52, zeroinitializer
  %55 = icmp ne <4 x i8> %53, zeroinitializer
  %56 = getelementptr i32, ptr %2, i64 %offset.idx
  %57 = getelementptr i8, ptr %56, i64 16
  %wide.masked.load = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %56, <4 x i1> %54, <4 x i32> poison)
  %wide.masked.load3 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %57, <4 x i1> %55, <4 x i32> poison)
  %58 = add <4 x i32> %wide.masked.load, splat (i32 1)
  %59 = add <4 x i32> %wide.masked.load3, splat (i32 1)
  %60 = icmp eq <4 x i32> %58, splat (i32 -2147483648)
  %61 = icmp eq <4 x i32> %59, splat (i32 -2147483648)
  %predphi = select <4 x i1> %54, <4 x i32> %58, <4 x i32> zeroinitializer
  %predphi4 = select <4 x i1> %55, <4 x i32> %59, <4 x i32> zeroinitializer
  %narrow = select <4 x i1> %54, <4 x i1> %60, <4 x i1> zeroinitializer
  %predphi5 = zext <4 x i1> %narrow to <4 x i64>
  %narrow7 = select <4 x i1> %55, <4 x i1> %61, <4 x i1> zeroinitializer
  %predphi6 = zext <4 x i1> %narrow7 to <4 x i64>
  %62 = getelementptr inbounds i32, ptr %3, i64 %offset.idx
  %63 = getelementptr inbounds nuw i8, ptr %62, i64 16
  store <4 x i32> %predphi, ptr %62, align 4
  store <4 x i32> %predphi4, ptr %63, align 4
  %64 = add <4 x i64> %vec.phi, %predphi5
  %65 = add <4 x i64> %vec.phi2, %predphi6
  %index.next = add nuw i64 %index, 8
  %vec.ind.next = add <4 x i8> %vec.ind, splat (i8 8)
  %66 = icmp eq i64 %index.next, %n.vec
  br i1 %66, label %middle.block, label %vector.body, !llvm.loop !8

middle.block:                                     ; preds = %vector.body
  %bin.rdx = add <4 x i64> %65, %64
  %67 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx)
  %cmp.n = icmp eq i64 %5, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader8

loop.preheader8:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %6, %middle.block ]
  %hits.acc.ph = phi i64 [ 0, %loop.preheader ], [ %67, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader8, %row.join
  %i = phi i64 [ %i.next, %row.join ], [ %i.ph, %loop.preheader8 ]
  %hits.acc = phi i64 [ %hits, %row.join ], [ %hits.acc.ph, %loop.preheader8 ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %4, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %68 = trunc i64 %i to i8
  %bit.i8 = and i8 %68, 7
  %69 = shl nuw i8 1, %bit.i8
  %70 = and i8 %69, %byte
  %valid.not = icmp eq i8 %70, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit:                                        ; preds = %row.join, %middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %67, %middle.block ], [ %hits, %row.join ]
  ret i64 %hits.out

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds i32, ptr %2, i64 %i
  %a = load i32, ptr %a.p, align 4
  %.6.i.i = add i32 %a, 1
  %r.null = icmp eq i32 %.6.i.i, -2147483648
  %r.null64 = zext i1 %r.null to i64
  br label %row.join

row.join:                                         ; preds = %loop, %row.valid
  %.6.i.i.sink = phi i32 [ %.6.i.i, %row.valid ], [ 0, %loop ]
  %hit = phi i64 [ %r.null64, %row.valid ], [ 0, %loop ]
  %71 = getelementptr inbounds i32, ptr %3, i64 %i
  store i32 %.6.i.i.sink, ptr %71, align 4
  %hits = add i64 %hit, %hits.acc
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !9
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %loop.exit, %dense
  %common.ret.op = phi i64 [ %range.hits, %dense ], [ %hits.total, %loop.exit ]
  ret i64 %common.ret.op

dense:                                            ; preds = %entry
  %range.hits = tail call fastcc i64 @udf_kernel_0_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %2)
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
  %range.hits3 = tail call fastcc i64 @udf_kernel_0_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %2, ptr %3)
  %hits.total = add i64 %range.hits3, %hits.out
  br label %common.ret

word.full:                                        ; preds = %loop
  %range.hits1 = tail call fastcc i64 @udf_kernel_0_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2)
  br label %word.join

word.empty:                                       ; preds = %loop
  %z.p = getelementptr inbounds i32, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(256) %z.p, i8 0, i64 256, i1 false)
  br label %word.join

word.mixed:                                       ; preds = %loop
  %range.hits2 = tail call fastcc i64 @udf_kernel_0_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %2, ptr %3)
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

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>) #3

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <4 x i32> @llvm.masked.load.v4i32.p0(ptr captures(none), <4 x i1>, <4 x i32>) #4

attributes #0 = { nofree noinline norecurse nosync nounwind memory(argmem: readwrite) }
attributes #1 = { nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #3 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }
attributes #4 = { nocallback nofree nosync nounwind willreturn memory(argmem: read) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = distinct !{!2, !3, !4}
!3 = !{!"llvm.loop.isvectorized", i32 1}
!4 = !{!"llvm.loop.unroll.runtime.disable"}
!5 = !{!"branch_weights", i32 4, i32 12}
!6 = distinct !{!6, !3, !4}
!7 = distinct !{!7, !4, !3}
!8 = distinct !{!8, !3, !4}
!9 = distinct !{!9, !4, !3}
