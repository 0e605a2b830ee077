; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define noundef i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #0 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

dense:                                            ; preds = %entry
  %loop.any.not = icmp eq i64 %0, 0
  br i1 %loop.any.not, label %common.ret, label %iter.check

iter.check:                                       ; preds = %dense
  %min.iters.check113 = icmp ult i64 %0, 4
  br i1 %min.iters.check113, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check115 = icmp ult i64 %0, 32
  br i1 %min.iters.check115, label %vec.epilog.ph, label %vector.ph116

vector.ph116:                                     ; preds = %vector.main.loop.iter.check
  %n.mod.vf117 = and i64 %0, 28
  %n.vec118 = and i64 %0, -32
  br label %vector.body119

vector.body119:                                   ; preds = %vector.body119, %vector.ph116
  %index120 = phi i64 [ 0, %vector.ph116 ], [ %index.next125, %vector.body119 ]
  %4 = getelementptr inbounds float, ptr %arg.col, i64 %index120
  %5 = getelementptr inbounds nuw i8, ptr %4, i64 32
  %6 = getelementptr inbounds nuw i8, ptr %4, i64 64
  %7 = getelementptr inbounds nuw i8, ptr %4, i64 96
  %wide.load121 = load <8 x float>, ptr %4, align 4
  %wide.load122 = load <8 x float>, ptr %5, align 4
  %wide.load123 = load <8 x float>, ptr %6, align 4
  %wide.load124 = load <8 x float>, ptr %7, align 4
  %8 = fcmp ogt <8 x float> %wide.load121, zeroinitializer
  %9 = fcmp ogt <8 x float> %wide.load122, zeroinitializer
  %10 = fcmp ogt <8 x float> %wide.load123, zeroinitializer
  %11 = fcmp ogt <8 x float> %wide.load124, zeroinitializer
  %12 = zext <8 x i1> %8 to <8 x i8>
  %13 = zext <8 x i1> %9 to <8 x i8>
  %14 = zext <8 x i1> %10 to <8 x i8>
  %15 = zext <8 x i1> %11 to <8 x i8>
  %16 = getelementptr inbounds i8, ptr %2, i64 %index120
  %17 = getelementptr inbounds nuw i8, ptr %16, i64 8
  %18 = getelementptr inbounds nuw i8, ptr %16, i64 16
  %19 = getelementptr inbounds nuw i8, ptr %16, i64 24
  store <8 x i8> %12, ptr %16, align 1
  store <8 x i8> %13, ptr %17, align 1
  store <8 x i8> %14, ptr %18, align 1
  store <8 x i8> %15, ptr %19, align 1
  %index.next125 = add nuw i64 %index120, 32
  %20 = icmp eq i64 %index.next125, %n.vec118
  br i1 %20, label %middle.block126, label %vector.body119, !llvm.loop !2

middle.block126:                                  ; preds = %vector.body119
  %cmp.n127 = icmp eq i64 %0, %n.vec118
  br i1 %cmp.n127, label %common.ret, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block126
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf117, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !5

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec118, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec129 = and i64 %0, -4
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index130 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next132, %vec.epilog.vector.body ]
  %21 = getelementptr inbounds float, ptr %arg.col, i64 %index130
  %wide.load131 = load <4 x float>, ptr %21, align 4
  %22 = fcmp ogt <4 x float> %wide.load131, zeroinitializer
  %23 = zext <4 x i1> %22 to <4 x i8>
  %24 = getelementptr inbounds i8, ptr %2, i64 %index130
  store <4 x i8> %23, ptr %24, align 1
  %index.next132 = add nuw i64 %index130, 4
  %25 = icmp eq i64 %index.next132, %n.vec129
  br i1 %25, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !6

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %cmp.n133 = icmp eq i64 %0, %n.vec129
  br i1 %cmp.n133, label %common.ret, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ 0, %iter.check ], [ %n.vec118, %vec.epilog.iter.check ], [ %n.vec129, %vec.epilog.middle.block ]
  br label %loop

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any3.not = icmp eq i64 %words, 0
  br i1 %loop.any3.not, label %loop.exit2, label %loop1

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %a.p = getelementptr inbounds float, ptr %arg.col, i64 %i
  %a = load float, ptr %a.p, align 4
  %.7.i.i72 = fcmp ogt float %a, 0.000000e+00
  %.18.0.i73 = zext i1 %.7.i.i72 to i8
  %o.p = getelementptr inbounds i8, ptr %2, i64 %i
  store i8 %.18.0.i73, ptr %o.p, align 1
  %i.next = add nuw i64 %i, 1
  %exitcond80.not = icmp eq i64 %i.next, %0
  br i1 %exitcond80.not, label %common.ret, label %loop, !llvm.loop !7

common.ret:                                       ; preds = %row.join55, %loop, %middle.block111, %middle.block126, %vec.epilog.middle.block, %loop.exit2, %dense
  ret i64 0

loop1:                                            ; preds = %masked, %word.join
  %i4 = phi i64 [ %i.next37, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i4, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i4, 6
  switch i64 %w.bits, label %vector.body [
    i64 -1, label %vector.body89
    i64 0, label %word.empty
  ]

vector.body89:                                    ; preds = %loop1
  %26 = getelementptr inbounds float, ptr %arg.col, i64 %w.lo
  %27 = getelementptr inbounds nuw i8, ptr %26, i64 32
  %28 = getelementptr inbounds nuw i8, ptr %26, i64 64
  %29 = getelementptr inbounds nuw i8, ptr %26, i64 96
  %wide.load = load <8 x float>, ptr %26, align 4
  %wide.load92 = load <8 x float>, ptr %27, align 4
  %wide.load93 = load <8 x float>, ptr %28, align 4
  %wide.load94 = load <8 x float>, ptr %29, align 4
  %30 = fcmp ogt <8 x float> %wide.load, zeroinitializer
  %31 = fcmp ogt <8 x float> %wide.load92, zeroinitializer
  %32 = fcmp ogt <8 x float> %wide.load93, zeroinitializer
  %33 = fcmp ogt <8 x float> %wide.load94, zeroinitializer
  %34 = zext <8 x i1> %30 to <8 x i8>
  %35 = zext <8 x i1> %31 to <8 x i8>
  %36 = zext <8 x i1> %32 to <8 x i8>
  %37 = zext <8 x i1> %33 to <8 x i8>
  %38 = getelementptr inbounds i8, ptr %2, i64 %w.lo
  %39 = getelementptr inbounds nuw i8, ptr %38, i64 8
  %40 = getelementptr inbounds nuw i8, ptr %38, i64 16
  %41 = getelementptr inbounds nuw i8, ptr %38, i64 24
  store <8 x i8> %34, ptr %38, align 1
  store <8 x i8> %35, ptr %39, align 1
  store <8 x i8> %36, ptr %40, align 1
  store <8 x i8> %37, ptr %41, align 1
  %offset.idx91.1 = or disjoint i64 %w.lo, 32
  %42 = getelementptr inbounds float, ptr %arg.col, i64 %offset.idx91.1
  %43 = getelementptr inbounds nuw i8, ptr %42, i64 32
  %44 = getelementptr inbounds nuw i8, ptr %42, i64 64
  %45 = getelementptr inbounds nuw i8, ptr %42, i64 96
  %wide.load.1 = load <8 x float>, ptr %42, align 4
  %wide.load92.1 = load <8 x float>, ptr %43, align 4
  %wide.load93.1 = load <8 x float>, ptr %44, align 4
  %wide.load94.1 = load <8 x float>, ptr %45, align 4
  %46 = fcmp ogt <8 x float> %wide.load.1, zeroinitializer
  %47 = fcmp ogt <8 x float> %wide.load92.1, zeroinitializer
  %48 = fcmp ogt <8 x float> %wide.load93.1, zeroinitializer
  %49 = fcmp ogt <8 x float> %wide.load94.1, zeroinitializer
  %50 = zext <8 x i1> %46 to <8 x i8>
  %51 = zext <8 x i1> %47 to <8 x i8>
  %52 = zext <8 x i1> %48 to <8 x i8>
  %53 = zext <8 x i1> %49 to <8 x i8>
  %54 = getelementptr inbounds i8, ptr %2, i64 %offset.idx91.1
  %55 = getelementptr inbounds nuw i8, ptr %54, i64 8
  %56 = getelementptr inbounds nuw i8, ptr %54, i64 16
  %57 = getelementptr inbounds nuw i8, ptr %54, i64 24
  store <8 x i8> %50, ptr %54, align 1
  store <8 x i8> %51, ptr %55, align 1
  store <8 x i8> %52, ptr %56, align 1
  store <8 x i8> %53, ptr %57, align 1
  br label %word.join

vector.body:                                      ; preds = %loop1
  %58 = lshr exact i64 %w.lo, 3
  %59 = getelementptr inbounds nuw i8, ptr %3, i64 %58
  %60 = load i8, ptr %59, align 1
  %broadcast.splatinsert86 = insertelement <8 x i8> poison, i8 %60, i64 0
  %broadcast.splat87 = shufflevector <8 x i8> %broadcast.splatinsert86, <8 x i8> poison, <8 x i32> zeroinitializer
  %61 = and <8 x i8> %broadcast.splat87, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %62 = icmp ne <8 x i8> %61, zeroinitializer
  %63 = getelementptr float, ptr %arg.col, i64 %w.lo
  %wide.masked.load = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %63, <8 x i1> %62, <8 x float> poison)
  %64 = fcmp ogt <8 x float> %wide.masked.load, zeroinitializer
  %narrow = select <8 x i1> %62, <8 x i1> %64, <8 x i1> zeroinitializer
  %predphi = zext <8 x i1> %narrow to <8 x i8>
  %65 = getelementptr inbounds i8, ptr %2, i64 %w.lo
  store <8 x i8> %predphi, ptr %65, align 1
  %offset.idx.1 = or disjoint i64 %w.lo, 8
  %66 = lshr exact i64 %offset.idx.1, 3
  %67 = getelementptr inbounds nuw i8, ptr %3, i64 %66
  %68 = load i8, ptr %67, align 1
  %broadcast.splatinsert86.1 = insertelement <8 x i8> poison, i8 %68, i64 0
  %broadcast.splat87.1 = shufflevector <8 x i8> %broadcast.splatinsert86.1, <8 x i8> poison, <8 x i32> zeroinitializer
  %69 = and <8 x i8> %broadcast.splat87.1, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %70 = icmp ne <8 x i8> %69, zeroinitializer
  %71 = getelementptr float, ptr %arg.col, i64 %offset.idx.1
  %wide.masked.load.1 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %71, <8 x i1> %70, <8 x float> poison)
  %72 = fcmp ogt <8 x float> %wide.masked.load.1, zeroinitializer
  %narrow.1 = select <8 x i1> %70, <8 x i1> %72, <8 x i1> zeroinitializer
  %predphi.1 = zext <8 x i1> %narrow.1 to <8 x i8>
  %73 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.1
  store <8 x i8> %predphi.1, ptr %73, align 1
  %offset.idx.2 = or disjoint i64 %w.lo, 16
  %74 = lshr exact i64 %offset.idx.2, 3
  %75 = getelementptr inbounds nuw i8, ptr %3, i64 %74
  %76 = load i8, ptr %75, align 1
  %broadcast.splatinsert86.2 = insertelement <8 x i8> poison, i8 %76, i64 0
  %broadcast.splat87.2 = shufflevector <8 x i8> %broadcast.splatinsert86.2, <8 x i8> poison, <8 x i32> zeroinitializer
  %77 = and <8 x i8> %broadcast.splat87.2, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %78 = icmp ne <8 x i8> %77, zeroinitializer
  %79 = getelementptr float, ptr %arg.col, i64 %offset.idx.2
  %wide.masked.load.2 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %79, <8 x i1> %78, <8 x float> poison)
  %80 = fcmp ogt <8 x float> %wide.masked.load.2, zeroinitializer
  %narrow.2 = select <8 x i1> %78, <8 x i1> %80, <8 x i1> zeroinitializer
  %predphi.2 = zext <8 x i1> %narrow.2 to <8 x i8>
  %81 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.2
  store <8 x i8> %predphi.2, ptr %81, align 1
  %offset.idx.3 = or disjoint i64 %w.lo, 24
  %82 = lshr exact i64 %offset.idx.3, 3
  %83 = getelementptr inbounds nuw i8, ptr %3, i64 %82
  %84 = load i8, ptr %83, align 1
  %broadcast.splatinsert86.3 = insertelement <8 x i8> poison, i8 %84, i64 0
  %broadcast.splat87.3 = shufflevector <8 x i8> %broadcast.splatinsert86.3, <8 x i8> poison, <8 x i32> zeroinitializer
  %85 = and <8 x i8> %broadcast.splat87.3, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %86 = icmp ne <8 x i8> %85, zeroinitializer
  %87 = getelementptr float, ptr %arg.col, i64 %offset.idx.3
  %wide.masked.load.3 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %87, <8 x i1> %86, <8 x float> poison)
  %88 = fcmp ogt <8 x float> %wide.masked.load.3, zeroinitializer
  %narrow.3 = select <8 x i1> %86, <8 x i1> %88, <8 x i1> zeroinitializer
  %predphi.3 = zext <8 x i1> %narrow.3 to <8 x i8>
  %89 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.3
  store <8 x i8> %predphi.3, ptr %89, align 1
  %offset.idx.4 = or disjoint i64 %w.lo, 32
  %90 = lshr exact i64 %offset.idx.4, 3
  %91 = getelementptr inbounds nuw i8, ptr %3, i64 %90
  %92 = load i8, ptr %91, align 1
  %broadcast.splatinsert86.4 = insertelement <8 x i8> poison, i8 %92, i64 0
  %broadcast.splat87.4 = shufflevector <8 x i8> %broadcast.splatinsert86.4, <8 x i8> poison, <8 x i32> zeroinitializer
  %93 = and <8 x i8> %broadcast.splat87.4, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %94 = icmp ne <8 x i8> %93, zeroinitializer
  %95 = getelementptr float, ptr %arg.col, i64 %offset.idx.4
  %wide.masked.load.4 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %95, <8 x i1> %94, <8 x float> poison)
  %96 = fcmp ogt <8 x float> %wide.masked.load.4, zeroinitializer
  %narrow.4 = select <8 x i1> %94, <8 x i1> %96, <8 x i1> zeroinitializer
  %predphi.4 = zext <8 x i1> %narrow.4 to <8 x i8>
  %97 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.4
  store <8 x i8> %predphi.4, ptr %97, align 1
  %offset.idx.5 = or disjoint i64 %w.lo, 40
  %98 = lshr exact i64 %offset.idx.5, 3
  %99 = getelementptr inbounds nuw i8, ptr %3, i64 %98
  %100 = load i8, ptr %99, align 1
  %broadcast.splatinsert86.5 = insertelement <8 x i8> poison, i8 %100, i64 0
  %broadcast.splat87.5 = shufflevector <8 x i8> %broadcast.splatinsert86.5, <8 x i8> poison, <8 x i32> zeroinitializer
  %101 = and <8 x i8> %broadcast.splat87.5, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %102 = icmp ne <8 x i8> %101, zeroinitializer
  %103 = getelementptr float, ptr %arg.col, i64 %offset.idx.5
  %wide.masked.load.5 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %103, <8 x i1> %102, <8 x float> poison)
  %104 = fcmp ogt <8 x float> %wide.masked.load.5, zeroinitializer
  %narrow.5 = select <8 x i1> %102, <8 x i1> %104, <8 x i1> zeroinitializer
  %predphi.5 = zext <8 x i1> %narrow.5 to <8 x i8>
  %105 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.5
  store <8 x i8> %predphi.5, ptr %105, align 1
  %offset.idx.6 = or disjoint i64 %w.lo, 48
  %106 = lshr exact i64 %offset.idx.6, 3
  %107 = getelementptr inbounds nuw i8, ptr %3, i64 %106
  %108 = load i8, ptr %107, align 1
  %broadcast.splatinsert86.6 = insertelement <8 x i8> poison, i8 %108, i64 0
  %broadcast.splat87.6 = shufflevector <8 x i8> %broadcast.splatinsert86.6, <8 x i8> poison, <8 x i32> zeroinitializer
  %109 = and <8 x i8> %broadcast.splat87.6, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %110 = icmp ne <8 x i8> %109, zeroinitializer
  %111 = getelementptr float, ptr %arg.col, i64 %offset.idx.6
  %wide.masked.load.6 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %111, <8 x i1> %110, <8 x float> poison)
  %112 = fcmp ogt <8 x float> %wide.masked.load.6, zeroinitializer
  %narrow.6 = select <8 x i1> %110, <8 x i1> %112, <8 x i1> zeroinitializer
  %predphi.6 = zext <8 x i1> %narrow.6 to <8 x i8>
  %113 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.6
  store <8 x i8> %predphi.6, ptr %113, align 1
  %offset.idx.7 = or disjoint i64 %w.lo, 56
  %114 = lshr exact i64 %offset.idx.7, 3
  %115 = getelementptr inbounds nuw i8, ptr %3, i64 %114
  %116 = load i8, ptr %115, align 1
  %broadcast.splatinsert86.7 = insertelement <8 x i8> poison, i8 %116, i64 0
  %broadcast.splat87.7 = shufflevector <8 x i8> %broadcast.splatinsert86.7, <8 x i8> poison, <8 x i32> zeroinitializer
  %117 = and <8 x i8> %broadcast.splat87.7, <i8 1, i8 2, i8 4, i8 8, i8 16, i8 32, i8 64, i8 -128>
  %118 = icmp ne <8 x i8> %117, zeroinitializer
  %119 = getelementptr float, ptr %arg.col, i64 %offset.idx.7
  %wide.masked.load.7 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %119, <8 x i1> %118, <8 x float> poison)
  %120 = fcmp ogt <8 x float> %wide.masked.load.7, zeroinitializer
  %narrow.7 = select <8 x i1> %118, <8 x i1> %120, <8 x i1> zeroinitializer
  %predphi.7 = zext <8 x i1> %narrow.7 to <8 x i8>
  %121 = getelementptr inbounds i8, ptr %2, i64 %offset.idx.7
  store <8 x i8> %predphi.7, ptr %121, align 1
  br label %word.join

loop.exit2:                                       ; preds = %word.join, %masked
  %tail.lo = and i64 %0, -64
  %loop.any42.not = icmp eq i64 %tail.lo, %0
  br i1 %loop.any42.not, label %common.ret, label %loop40.preheader

loop40.preheader:                                 ; preds = %loop.exit2
  %122 = or disjoint i64 %tail.lo, 1
  %umax = tail call i64 @llvm.umax.i64(i64 %0, i64 %122)
  %123 = sub i64 %umax, %tail.lo
  %min.iters.check = icmp ult i64 %123, 8
  br i1 %min.iters.check, label %loop40.preheader136, label %vector.ph97

vector.ph97:                                      ; preds = %loop40.preheader
  %n.mod.vf = and i64 %umax, 7
  %n.vec = sub nuw i64 %123, %n.mod.vf
  %124 = add i64 %tail.lo, %n.vec
  %125 = trunc i64 %tail.lo to i8
  %broadcast.splatinsert98 = insertelement <8 x i8> poison, i8 %125, i64 0
  %broadcast.splat99 = shufflevector <8 x i8> %broadcast.splatinsert98, <8 x i8> poison, <8 x i32> zeroinitializer
  %induction100 = or disjoint <8 x i8> %broadcast.splat99, <i8 0, i8 1, i8 2, i8 3, i8 4, i8 5, i8 6, i8 7>
  br label %vector.body101

vector.body101:                                   ; preds = %vector.body101, %vector.ph97
  %index102 = phi i64 [ 0, %vector.ph97 ], [ %index.next109, %vector.body101 ]
  %vec.ind103 = phi <8 x i8> [ %induction100, %vector.ph97 ], [ %vec.ind.next110, %vector.body101 ]
  %offset.idx104 = add i64 %tail.lo, %index102
  %126 = lshr exact i64 %offset.idx104, 3
  %127 = getelementptr inbounds nuw i8, ptr %3, i64 %126
  %128 = load i8, ptr %127, align 1
  %broadcast.splatinsert105 = insertelement <8 x i8> poison, i8 %128, i64 0
  %broadcast.splat106 = shufflevector <8 x i8> %broadcast.splatinsert105, <8 x i8> poison, <8 x i32> zeroinitializer
  %129 = and <8 x i8> %vec.ind103, splat (i8 7)
  %130 = shl nuw <8 x i8> splat (i8 1), %129
  %131 = and <8 x i8> %130, %broadcast.splat106
  %132 = icmp ne <8 x i8> %131, zeroinitializer
  %133 = getelementptr float, ptr %arg.col, i64 %offset.idx104
  %wide.masked.load107 = tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %133, <8 x i1> %132, <8 x float> poison)
  %134 = fcmp ogt <8 x float> %wide.masked.load107, zeroinitializer
  %narrow135 = select <8 x i1> %132, <8 x i1> %134, <8 x i1> zeroinitializer
  %predphi108 = zext <8 x i1> %narrow135 to <8 x i8>
  %135 = getelementptr inbounds i8, ptr %2, i64 %offset.idx104
  store <8 x i8> %predphi108, ptr %135, align 1
  %index.next109 = add nuw i64 %index102, 8
  %vec.ind.next110 = add <8 x i8> %vec.ind103, splat (i8 8)
  %136 = icmp eq i64 %index.next109, %n.vec
  br i1 %136, label %middle.block111, label %vector.body101, !llvm.loop !8

middle.block111:                                  ; preds = %vector.body101
  %cmp.n = icmp eq i64 %n.mod.vf, 0
  br i1 %cmp.n, label %common.ret, label %loop40.preheader136

loop40.preheader136:                              ; preds = %loop40.preheader, %middle.block111
  %i43.ph = phi i64 [ %tail.lo, %loop40.preheader ], [ %124, %middle.block111 ]
  br label %loop40

word.empty:                                       ; preds = %loop1
  %z.p = getelementptr inbounds i8, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(64) %z.p, i8 0, i64 64, i1 false)
  br label %word.join

word.join:                                        ; preds = %vector.body89, %vector.body, %word.empty
  %i.next37 = add nuw nsw i64 %i4, 1
  %exitcond79.not = icmp eq i64 %i.next37, %words
  br i1 %exitcond79.not, label %loop.exit2, label %loop1

loop40:                                           ; preds = %loop40.preheader136, %row.join55
  %i43 = phi i64 [ %i.next65, %row.join55 ], [ %i43.ph, %loop40.preheader136 ]
  %byte.i45 = lshr i64 %i43, 3
  %byte.p46 = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i45
  %byte47 = load i8, ptr %byte.p46, align 1
  %137 = trunc i64 %i43 to i8
  %bit.i849 = and i8 %137, 7
  %138 = shl nuw i8 1, %bit.i849
  %139 = and i8 %138, %byte47
  %valid52.not = icmp eq i8 %139, 0
  br i1 %valid52.not, label %row.join55, label %row.valid53

row.valid53:                                      ; preds = %loop40
  %a.p56 = getelementptr inbounds float, ptr %arg.col, i64 %i43
  %a57 = load float, ptr %a.p56, align 4
  %.7.i.i = fcmp ogt float %a57, 0.000000e+00
  %.18.0.i = zext i1 %.7.i.i to i8
  br label %row.join55

row.join55:                                       ; preds = %loop40, %row.valid53
  %.18.0.i.sink = phi i8 [ %.18.0.i, %row.valid53 ], [ 0, %loop40 ]
  %140 = getelementptr inbounds i8, ptr %2, i64 %i43
  store i8 %.18.0.i.sink, ptr %140, align 1
  %i.next65 = add nuw i64 %i43, 1
  %loop.more66 = icmp ult i64 %i.next65, %0
  br i1 %loop.more66, label %loop40, label %common.ret, !llvm.loop !9
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #1

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <8 x float> @llvm.masked.load.v8f32.p0(ptr captures(none), <8 x i1>, <8 x float>) #2

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.umax.i64(i64, i64) #3

attributes #0 = { nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #1 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #2 = { nocallback nofree nosync nounwind willreturn memory(argmem: read) }
attributes #3 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = distinct !{!2, !3, !4}
!3 = !{!"llvm.loop.isvectorized", i32 1}
!4 = !{!"llvm.loop.unroll.runtime.disable"}
!5 = !{!"branch_weights", i32 4, i32 28}
!6 = distinct !{!6, !3, !4}
!7 = distinct !{!7, !4, !3}
!8 = distinct !{!8, !3, !4}
!9 = distinct !{!9, !4, !3}
