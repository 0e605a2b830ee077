; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %iter.check, label %loop.exit

iter.check:                                       ; preds = %entry
  %5 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %5, 4
  br i1 %min.iters.check, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check4 = icmp ult i64 %5, 16
  br i1 %min.iters.check4, label %vec.epilog.ph, label %vector.ph

vector.ph:                                        ; preds = %vector.main.loop.iter.check
  %n.mod.vf = and i64 %5, 12
  %n.vec = and i64 %5, -16
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %31, %vector.body ]
  %vec.phi5 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %32, %vector.body ]
  %vec.phi6 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %33, %vector.body ]
  %vec.phi7 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %34, %vector.body ]
  %6 = add i64 %0, %index
  %7 = getelementptr inbounds i32, ptr %2, i64 %6
  %8 = getelementptr inbounds nuw i8, ptr %7, i64 16
  %9 = getelementptr inbounds nuw i8, ptr %7, i64 32
  %10 = getelementptr inbounds nuw i8, ptr %7, i64 48
  %wide.load = load <4 x i32>, ptr %7, align 4
  %wide.load8 = load <4 x i32>, ptr %8, align 4
  %wide.load9 = load <4 x i32>, ptr %9, align 4
  %wide.load10 = load <4 x i32>, ptr %10, align 4
  %11 = getelementptr inbounds i32, ptr %3, i64 %6
  %12 = getelementptr inbounds nuw i8, ptr %11, i64 16
  %13 = getelementptr inbounds nuw i8, ptr %11, i64 32
  %14 = getelementptr inbounds nuw i8, ptr %11, i64 48
  %wide.load11 = load <4 x i32>, ptr %11, align 4
  %wide.load12 = load <4 x i32>, ptr %12, align 4
  %wide.load13 = load <4 x i32>, ptr %13, align 4
  %wide.load14 = load <4 x i32>, ptr %14, align 4
  %15 = mul <4 x i32> %wide.load11, %wide.load
  %16 = mul <4 x i32> %wide.load12, %wide.load8
  %17 = mul <4 x i32> %wide.load13, %wide.load9
  %18 = mul <4 x i32> %wide.load14, %wide.load10
  %19 = getelementptr inbounds i32, ptr %4, i64 %6
  %20 = getelementptr inbounds nuw i8, ptr %19, i64 16
  %21 = getelementptr inbounds nuw i8, ptr %19, i64 32
  %22 = getelementptr inbounds nuw i8, ptr %19, i64 48
  store <4 x i32> %15, ptr %19, align 4
  store <4 x i32> %16, ptr %20, align 4
  store <4 x i32> %17, ptr %21, align 4
  store <4 x i32> %18, ptr %22, align 4
  %23 = icmp eq <4 x i32> %15, splat (i32 -2147483648)
  %24 = icmp eq <4 x i32> %16, splat (i32 -2147483648)
  %25 = icmp eq <4 x i32> %17, splat (i32 -2147483648)
  %26 = icmp eq <4 x i32> %18, splat (i32 -2147483648)
  %27 = zext <4 x i1> %23 to <4 x i64>
  %28 = zext <4 x i1> %24 to <4 x i64>
  %29 = zext <4 x i1> %25 to <4 x i64>
  %30 = zext <4 x i1> %26 to <4 x i64>
  %31 = add <4 x i64> %vec.phi, %27
  %32 = add <4 x i64> %vec.phi5, %28
  %33 = add <4 x i64> %vec.phi6, %29
  %34 = add <4 x i64> %vec.phi7, %30
  %index.next = add nuw i64 %index, 16
  %35 = icmp eq i64 %index.next, %n.vec
  br i1 %35, label %middle.block, label %vector.body, !llvm.loop !2

middle.block:                                     ; preds = %vector.body
  %bin.rdx = add <4 x i64> %32, %31
  %bin.rdx15 = add <4 x i64> %33, %bin.rdx
  %bin.rdx16 = add <4 x i64> %34, %bin.rdx15
  %36 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx16)
  %cmp.n = icmp eq i64 %5, %n.vec
  br i1 %cmp.n, label %loop.exit, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block
  %ind.end = add i64 %0, %n.vec
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !5

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %bc.merge.rdx = phi i64 [ %36, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec18 = and i64 %5, -4
  %37 = add i64 %0, %n.vec18
  %38 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %bc.merge.rdx, i64 0
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index19 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next23, %vec.epilog.vector.body ]
  %vec.phi20 = phi <4 x i64> [ %38, %vec.epilog.ph ], [ %45, %vec.epilog.vector.body ]
  %offset.idx = add i64 %0, %index19
  %39 = getelementptr inbounds i32, ptr %2, i64 %offset.idx
  %wide.load21 = load <4 x i32>, ptr %39, align 4
  %40 = getelementptr inbounds i32, ptr %3, i64 %offset.idx
  %wide.load22 = load <4 x i32>, ptr %40, align 4
  %41 = mul <4 x i32> %wide.load22, %wide.load21
  %42 = getelementptr inbounds i32, ptr %4, i64 %offset.idx
  store <4 x i32> %41, ptr %42, align 4
  %43 = icmp eq <4 x i32> %41, splat (i32 -2147483648)
  %44 = zext <4 x i1> %43 to <4 x i64>
  %45 = add <4 x i64> %vec.phi20, %44
  %index.next23 = add nuw i64 %index19, 4
  %46 = icmp eq i64 %index.next23, %n.vec18
  br i1 %46, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !6

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %47 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %45)
  %cmp.n24 = icmp eq i64 %5, %n.vec18
  br i1 %cmp.n24, label %loop.exit, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ %0, %iter.check ], [ %ind.end, %vec.epilog.iter.check ], [ %37, %vec.epilog.middle.block ]
  %hits.acc.ph = phi i64 [ 0, %iter.check ], [ %36, %vec.epilog.iter.check ], [ %47, %vec.epilog.middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader ]
  %a.p = getelementptr inbounds i32, ptr %2, i64 %i
  %a = load i32, ptr %a.p, align 4
  %a.p1 = getelementptr inbounds i32, ptr %3, i64 %i
  %a2 = load i32, ptr %a.p1, align 4
  %.8.i.i = mul i32 %a2, %a
  %o.p = getelementptr inbounds i32, ptr %4, i64 %i
  store i32 %.8.i.i, ptr %o.p, align 4
  %r.null = icmp eq i32 %.8.i.i, -2147483648
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !7

loop.exit:                                        ; preds = %loop, %middle.block, %vec.epilog.middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %47, %vec.epilog.middle.block ], [ %36, %middle.block ], [ %hits, %loop ]
  ret i64 %hits.out
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4, ptr noalias nonnull readonly captures(none) %5) unnamed_addr #0 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %6 = sub nuw i64 %1, %0
  %min.iters.check = icmp ult i64 %6, 8
  br i1 %min.iters.check, label %loop.preheader12, label %vector.ph

vector.ph:                                        ; preds = %loop.preheader
  %n.vec = and i64 %6, -8
  %7 = add i64 %0, %n.vec
  %8 = trunc i64 %0 to i8
  %broadcast.splatinsert = insertelement <4 x i8> poison, i8 %8, i64 0
  %broadcast.splat = shufflevector <4 x i8> %broadcast.splatinsert, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction = add <4 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %67, %vector.body ]
  %vec.phi4 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %68, %vector.body ]
  %vec.ind = phi <4 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
  %offset.idx = add i64 %0, %index
  %9 = add i64 %offset.idx, 1
  %10 = add i64 %offset.idx, 2
  %11 = add i64 %offset.idx, 3
  %12 = add i64 %offset.idx, 4
  %13 = add i64 %offset.idx, 5
  %14 = add i64 %offset.idx, 6
  %15 = add i64 %offset.idx, 7
  %16 = lshr i64 %offset.idx, 3
  %17 = lshr i64 %9, 3
  %18 = lshr i64 %10, 3
  %19 = lshr i64 %11, 3
  %20 = lshr i64 %12, 3
  %21 = lshr i64 %13, 3
  %22 = lshr i64 %14, 3
  %23 = lshr i64 %15, 3
  %24 = getelementptr inbounds nuw i8, ptr %5, i64 %16
  %25 = getelementptr inbounds nuw i8, ptr %5, i64 %17
  %26 = getelementptr inbounds nuw i8, ptr %5, i64 %18
  %27 = getelementptr inbounds nuw i8, ptr %5, i64 %19
  %28 = getelementptr inbounds nuw i8, ptr %5, i64 %20
  %29 = getelementptr inbounds nuw i8, ptr %5, i64 %21
  %30 = getelementptr inbounds nuw i8, ptr %5, i64 %22
  %31 = getelementptr inbounds nuw i8, ptr %5, i64 %23
  %32 = load i8, ptr %24, align 1
  %33 = load i8, ptr %25, align 1
  %34 = load i8, ptr %26, align 1
  %35 = load i8, ptr %27, align 1
  %36 = insertelement <4 x i8> poison, i8 %32, i64 0
  %37 = insertelement <4 x i8> %36, i8 %33, i64 1
  %38 = insertelement <4 x i8> %37, i8 %34, i64 2
  %39 = insertelement <4 x i8> %38, i8 %35, i64 3
  %40 = load i8, ptr %28, align 1
  %41 = load i8, ptr %29, align 1
  %42 = load i8, ptr %30, align 1
  %43 = load i8, ptr %31, align 1
  %44 = insertelement <4 x i8> poison, i8 %40, i64 0
  %45 = insertelement <4 x i8> %44, i8 %41, i64 1
  %46 = insertelement <4 x i8> %45, i8 %42, i64 2
  %47 = insertelement <4 x i8> %46, i8 %43, i64 3
  %48 = and <4 x i8> %vec.ind, splat (i8 7)
  %49 = and <4 x i8> %vec.ind, splat (i8 7)
  %50 = xor <4 x i8> %49, splat (i8 4)
  %51 = shl nuw <4 x i8> splat (i8 1), %48
  %52 = shl nuw <4 x i8> splat (i8 1), %50
  %53 = and <4 x i8> %51, %39
  %54 = and <4 x i8> %52, %47
  %55 = icmp ne <4 x i8> %53, zeroinitializer
  %56 = icmp ne <4 x i8> %54, zeroinitializer
  %57 = getelementptr i32, ptr %2, i64 %offset.idx
  %58 = getelementptr i8, ptr %57, i64 16
  %wide.masked.load = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %57, <4 x i1> %55, <4 x i32> poison)
  %wide.masked.load5 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %58, <4 x i1> %56, <4 x i32> poison)
  %59 = getelementptr i32, ptr %3, i64 %offset.idx
  %60 = getelementptr i8, ptr %59, i64 16
  %wide.masked.load6 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %59, <4 x i1> %55, <4 x i32> poison)
  %wide.masked.load7 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %60, <4 x i1> %56, <4 x i32> poison)
  %61 = mul <4 x i32> %wide.masked.load6, %wide.masked.load
  %62 = mul <4 x i32> %wide.masked.load7, %wide.masked.load5
  %63 = icmp eq <4 x i32> %61, splat (i32 -2147483648)
  %64 = icmp eq <4 x i32> %62, splat (i32 -2147483648)
  %predphi = select <4 x i1> %55, <4 x i32> %61, <4 x i32> zeroinitializer
  %predphi8 = select <4 x i1> %56, <4 x i32> %62, <4 x i32> zeroinitializer
  %narrow = select <4 x i1> %55, <4 x i1> %63, <4 x i1> zeroinitializer
  %predphi9 = zext <4 x i1> %narrow to <4 x i64>
  %narrow11 = select <4 x i1> %56, <4 x i1> %64, <4 x i1> zeroinitializer
  %predphi10 = zext <4 x i1> %narrow11 to <4 x i64>
  %65 = getelementptr inbounds i32, ptr %4, i64 %offset.idx
  %66 = getelementptr inbounds nuw i8, ptr %65, i64 16
  store <4 x i32> %predphi, ptr %65, align 4
  store <4 x i32> %predphi8, ptr %66, align 4
  %67 = add <4 x i64> %vec.phi, %predphi9
  %68 = add <4 x i64> %vec.phi4, %predphi10
  %index.next = add nuw i64 %index, 8
  %vec.ind.next = add <4 x i8> %vec.ind, splat (i8 8)
  %69 = icmp eq i64 %index.next, %n.vec
  br i1 %69, label %middle.block, label %vector.body, !llvm.loop !8

middle.block:                                     ; preds = %vector.body
  %bin.rdx = add <4 x i64> %68, %67
  %70 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx)
  %cmp.n = icmp eq i64 %6, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader12

loop.preheader12:                                 ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %7, %middle.block ]
  %hits.acc.ph = phi i64 [ 0, %loop.preheader ], [ %70, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader12, %row.join
  %i = phi i64 [ %i.next, %row.join ], [ %i.ph, %loop.preheader12 ]
  %hits.acc = phi i64 [ %hits, %row.join ], [ %hits.acc.ph, %loop.preheader12 ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %5, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %71 = trunc i64 %i to i8
  %bit.i8 = and i8 %71, 7
  %72 = shl nuw i8 1, %bit.i8
  %73 = and i8 %72, %byte
  %valid.not = icmp eq i8 %73, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit:                                        ; preds = %row.join, %middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %70, %middle.block ], [ %hits, %row.join ]
  ret i64 %hits.out

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds i32, ptr %2, i64 %i
  %a = load i32, ptr %a.p, align 4
  %a.p1 = getelementptr inbounds i32, ptr %3, i64 %i
  %a2 = load i32, ptr %a.p1, align 4
  %.8.i.i = mul i32 %a2, %a
  %r.null = icmp eq i32 %.8.i.i, -2147483648
  %r.null64 = zext i1 %r.null to i64
  br label %row.join

row.join:                                         ; preds = %loop, %row.valid
  %.8.i.i.sink = phi i32 [ %.8.i.i, %row.valid ], [ 0, %loop ]
  %hit = phi i64 [ %r.null64, %row.valid ], [ 0, %loop ]
  %74 = getelementptr inbounds i32, ptr %4, i64 %i
  store i32 %.8.i.i.sink, ptr %74, align 4
  %hits = add i64 %hit, %hits.acc
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !9
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #1 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %arg.slot1 = getelementptr inbounds nuw i8, ptr %1, i64 8
  %arg.col2 = load ptr, ptr %arg.slot1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

common.ret:                                       ; preds = %loop.exit, %dense
  %common.ret.op = phi i64 [ %range.hits, %dense ], [ %hits.total, %loop.exit ]
  ret i64 %common.ret.op

dense:                                            ; preds = %entry
  %range.hits = tail call fastcc i64 @udf_kernel_0_0.dense(i64 0, i64 %0, ptr %arg.col, ptr %arg.col2, ptr %2)
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
  %range.hits5 = tail call fastcc i64 @udf_kernel_0_0.checked(i64 %tail.lo, i64 %0, ptr %arg.col, ptr %arg.col2, ptr %2, ptr %3)
  %hits.total = add i64 %range.hits5, %hits.out
  br label %common.ret

word.full:                                        ; preds = %loop
  %range.hits3 = tail call fastcc i64 @udf_kernel_0_0.dense(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %arg.col2, ptr %2)
  br label %word.join

word.empty:                                       ; preds = %loop
  %z.p = getelementptr inbounds i32, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(256) %z.p, i8 0, i64 256, i1 false)
  br label %word.join

word.mixed:                                       ; preds = %loop
  %range.hits4 = tail call fastcc i64 @udf_kernel_0_0.checked(i64 %w.lo, i64 %w.hi, ptr %arg.col, ptr %arg.col2, ptr %2, ptr %3)
  br label %word.join

word.join:                                        ; preds = %word.mixed, %word.empty, %word.full
  %w.hits = phi i64 [ %range.hits3, %word.full ], [ 0, %word.empty ], [ %range.hits4, %word.mixed ]
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
