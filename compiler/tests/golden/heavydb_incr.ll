; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #0 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

dense:                                            ; preds = %entry
  %loop.any.not = icmp eq i64 %0, 0
  br i1 %loop.any.not, label %common.ret, label %iter.check

iter.check:                                       ; preds = %dense
  %min.iters.check134 = icmp ult i64 %0, 4
  br i1 %min.iters.check134, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check136 = icmp ult i64 %0, 16
  br i1 %min.iters.check136, label %vec.epilog.ph, label %vector.ph137

vector.ph137:                                     ; preds = %vector.main.loop.iter.check
  %n.mod.vf138 = and i64 %0, 12
  %n.vec139 = and i64 %0, -16
  br label %vector.body140

vector.body140:                                   ; preds = %vector.body140, %vector.ph137
  %index141 = phi i64 [ 0, %vector.ph137 ], [ %index.next150, %vector.body140 ]
  %vec.phi142 = phi <4 x i64> [ zeroinitializer, %vector.ph137 ], [ %24, %vector.body140 ]
  %vec.phi143 = phi <4 x i64> [ zeroinitializer, %vector.ph137 ], [ %25, %vector.body140 ]
  %vec.phi144 = phi <4 x i64> [ zeroinitializer, %vector.ph137 ], [ %26, %vector.body140 ]
  %vec.phi145 = phi <4 x i64> [ zeroinitializer, %vector.ph137 ], [ %27, %vector.body140 ]
  %4 = getelementptr inbounds i32, ptr %arg.col, i64 %index141
  %5 = getelementptr inbounds nuw i8, ptr %4, i64 16
  %6 = getelementptr inbounds nuw i8, ptr %4, i64 32
  %7 = getelementptr inbounds nuw i8, ptr %4, i64 48
  %wide.load146 = load <4 x i32>, ptr %4, align 4
  %wide.load147 = load <4 x i32>, ptr %5, align 4
  %wide.load148 = load <4 x i32>, ptr %6, align 4
  %wide.load149 = load <4 x i32>, ptr %7, align 4
  %8 = add <4 x i32> %wide.load146, splat (i32 1)
  %9 = add <4 x i32> %wide.load147, splat (i32 1)
  %10 = add <4 x i32> %wide.load148, splat (i32 1)
  %11 = add <4 x i32> %wide.load149, splat (i32 1)
  %12 = getelementptr inbounds i32, ptr %2, i64 %index141
  %13 = getelementptr inbounds nuw i8, ptr %12, i64 16
  %14 = getelementptr inbounds nuw i8, ptr %12, i64 32
  %15 = getelementptr inbounds nuw i8, ptr %12, i64 48
  store <4 x i32> %8, ptr %12, align 4
  store <4 x i32> %9, ptr %13, align 4
  store <4 x i32> %10, ptr %14, align 4
  store <4 x i32> %11, ptr %15, align 4
  %16 = icmp eq <4 x i32> %8, splat (i32 -2147483648)
  %17 = icmp eq <4 x i32> %9, splat (i32 -2147483648)
  %18 = icmp eq <4 x i32> %10, splat (i32 -2147483648)
  %19 = icmp eq <4 x i32> %11, splat (i32 -2147483648)
  %20 = zext <4 x i1> %16 to <4 x i64>
  %21 = zext <4 x i1> %17 to <4 x i64>
  %22 = zext <4 x i1> %18 to <4 x i64>
  %23 = zext <4 x i1> %19 to <4 x i64>
  %24 = add <4 x i64> %vec.phi142, %20
  %25 = add <4 x i64> %vec.phi143, %21
  %26 = add <4 x i64> %vec.phi144, %22
  %27 = add <4 x i64> %vec.phi145, %23
  %index.next150 = add nuw i64 %index141, 16
  %28 = icmp eq i64 %index.next150, %n.vec139
  br i1 %28, label %middle.block151, label %vector.body140, !llvm.loop !2

middle.block151:                                  ; preds = %vector.body140
  %bin.rdx152 = add <4 x i64> %25, %24
  %bin.rdx153 = add <4 x i64> %26, %bin.rdx152
  %bin.rdx154 = add <4 x i64> %27, %bin.rdx153
  %29 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx154)
  %cmp.n155 = icmp eq i64 %0, %n.vec139
  br i1 %cmp.n155, label %common.ret, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block151
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf138, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !5

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec139, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %bc.merge.rdx156 = phi i64 [ %29, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec158 = and i64 %0, -4
  %30 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %bc.merge.rdx156, i64 0
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index159 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next162, %vec.epilog.vector.body ]
  %vec.phi160 = phi <4 x i64> [ %30, %vec.epilog.ph ], [ %36, %vec.epilog.vector.body ]
  %31 = getelementptr inbounds i32, ptr %arg.col, i64 %index159
  %wide.load161 = load <4 x i32>, ptr %31, align 4
  %32 = add <4 x i32> %wide.load161, splat (i32 1)
  %33 = getelementptr inbounds i32, ptr %2, i64 %index159
  store <4 x i32> %32, ptr %33, align 4
  %34 = icmp eq <4 x i32> %32, splat (i32 -2147483648)
  %35 = zext <4 x i1> %34 to <4 x i64>
  %36 = add <4 x i64> %vec.phi160, %35
  %index.next162 = add nuw i64 %index159, 4
  %37 = icmp eq i64 %index.next162, %n.vec158
  br i1 %37, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !6

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %38 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %36)
  %cmp.n163 = icmp eq i64 %0, %n.vec158
  br i1 %cmp.n163, label %common.ret, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ 0, %iter.check ], [ %n.vec139, %vec.epilog.iter.check ], [ %n.vec158, %vec.epilog.middle.block ]
  %hits.acc.ph = phi i64 [ 0, %iter.check ], [ %29, %vec.epilog.iter.check ], [ %38, %vec.epilog.middle.block ]
  br label %loop

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any3.not = icmp eq i64 %words, 0
  br i1 %loop.any3.not, label %loop.exit2, label %loop1

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader ]
  %a.p = getelementptr inbounds i32, ptr %arg.col, i64 %i
  %a = load i32, ptr %a.p, align 4
  %.6.i.i70 = add i32 %a, 1
  %o.p = getelementptr inbounds i32, ptr %2, i64 %i
  store i32 %.6.i.i70, ptr %o.p, align 4
  %r.null = icmp eq i32 %.6.i.i70, -2147483648
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond77.not = icmp eq i64 %i.next, %0
  br i1 %exitcond77.not, label %common.ret, label %loop, !llvm.loop !7

common.ret:                                       ; preds = %row.join55, %loop, %middle.block131, %middle.block151, %vec.epilog.middle.block, %loop.exit2, %dense
  %common.ret.op = phi i64 [ %hits, %loop ], [ 0, %dense ], [ %hits.out39, %loop.exit2 ], [ %38, %vec.epilog.middle.block ], [ %29, %middle.block151 ], [ %193, %middle.block131 ], [ %hits64, %row.join55 ]
  ret i64 %common.ret.op

loop1:                                            ; preds = %masked, %word.join
  %i4 = phi i64 [ %i.next37, %word.join ], [ 0, %masked ]
  %hits.acc5 = phi i64 [ %w.hits, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i4, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i4, 6
  switch i64 %w.bits, label %vector.ph [
    i64 -1, label %vector.body93
    i64 0, label %word.empty
  ]

vector.body93:                                    ; preds = %loop1
  %39 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.acc5, i64 0
  %40 = getelementptr inbounds i32, ptr %arg.col, i64 %w.lo
  %41 = getelementptr inbounds nuw i8, ptr %40, i64 16
  %42 = getelementptr inbounds nuw i8, ptr %40, i64 32
  %43 = getelementptr inbounds nuw i8, ptr %40, i64 48
  %wide.load = load <4 x i32>, ptr %40, align 4
  %wide.load100 = load <4 x i32>, ptr %41, align 4
  %wide.load101 = load <4 x i32>, ptr %42, align 4
  %wide.load102 = load <4 x i32>, ptr %43, align 4
  %44 = add <4 x i32> %wide.load, splat (i32 1)
  %45 = add <4 x i32> %wide.load100, splat (i32 1)
  %46 = add <4 x i32> %wide.load101, splat (i32 1)
  %47 = add <4 x i32> %wide.load102, splat (i32 1)
  %48 = getelementptr inbounds i32, ptr %2, i64 %w.lo
  %49 = getelementptr inbounds nuw i8, ptr %48, i64 16
  %50 = getelementptr inbounds nuw i8, ptr %48, i64 32
  %51 = getelementptr inbounds nuw i8, ptr %48, i64 48
  store <4 x i32> %44, ptr %48, align 4
  store <4 x i32> %45, ptr %49, align 4
  store <4 x i32> %46, ptr %50, align 4
  store <4 x i32> %47, ptr %51, align 4
  %52 = icmp eq <4 x i32> %44, splat (i32 -2147483648)
  %53 = icmp eq <4 x i32> %45, splat (i32 -2147483648)
  %54 = icmp eq <4 x i32> %46, splat (i32 -2147483648)
  %55 = icmp eq <4 x i32> %47, splat (i32 -2147483648)
  %56 = zext <4 x i1> %52 to <4 x i64>
  %57 = zext <4 x i1> %53 to <4 x i64>
  %58 = zext <4 x i1> %54 to <4 x i64>
  %59 = zext <4 x i1> %55 to <4 x i64>
  %60 = add <4 x i64> %39, %56
  %offset.idx99.1 = or disjoint i64 %w.lo, 16
  %61 = getelementptr inbounds i32, ptr %arg.col, i64 %offset.idx99.1
  %62 = getelementptr inbounds nuw i8, ptr %61, i64 16
  %63 = getelementptr inbounds nuw i8, ptr %61, i64 32
  %64 = getelementptr inbounds nuw i8, ptr %61, i64 48
  %wide.load.1 = load <4 x i32>, ptr %61, align 4
  %wide.load100.1 = load <4 x i32>, ptr %62, align 4
  %wide.load101.1 = load <4 x i32>, ptr %63, align 4
  %wide.load102.1 = load <4 x i32>, ptr %64, align 4
  %65 = add <4 x i32> %wide.load.1, splat (i32 1)
  %66 = add <4 x i32> %wide.load100.1, splat (i32 1)
  %67 = add <4 x i32> %wide.load101.1, splat (i32 1)
  %68 = add <4 x i32> %wide.load102.1, splat (i32 1)
  %69 = getelementptr inbounds i32, ptr %2, i64 %offset.idx99.1
  %70 = getelementptr inbounds nuw i8, ptr %69, i64 16
  %71 = getelementptr inbounds nuw i8, ptr %69, i64 32
  %72 = getelementptr inbounds nuw i8, ptr %69, i64 48
  store <4 x i32> %65, ptr %69, align 4
  store <4 x i32> %66, ptr %70, align 4
  store <4 x i32> %67, ptr %71, align 4
  store <4 x i32> %68, ptr %72, align 4
  %73 = icmp eq <4 x i32> %65, splat (i32 -2147483648)
  %74 = icmp eq <4 x i32> %66, splat (i32 -2147483648)
  %75 = icmp eq <4 x i32> %67, splat (i32 -2147483648)
  %76 = icmp eq <4 x i32> %68, splat (i32 -2147483648)
  %77 = zext <4 x i1> %73 to <4 x i64>
  %78 = zext <4 x i1> %74 to <4 x i64>
  %79 = zext <4 x i1> %75 to <4 x i64>
  %80 = zext <4 x i1> %76 to <4 x i64>
  %81 = add <4 x i64> %60, %77
  %82 = add nuw nsw <4 x i64> %57, %78
  %83 = add nuw nsw <4 x i64> %58, %79
  %84 = add nuw nsw <4 x i64> %59, %80
  %offset.idx99.2 = or disjoint i64 %w.lo, 32
  %85 = getelementptr inbounds i32, ptr %arg.col, i64 %offset.idx99.2
  %86 = getelementptr inbounds nuw i8, ptr %85, i64 16
  %87 = getelementptr inbounds nuw i8, ptr %85, i64 32
  %88 = getelementptr inbounds nuw i8, ptr %85, i64 48
  %wide.load.2 = load <4 x i32>, ptr %85, align 4
  %wide.load100.2 = load <4 x i32>, ptr %86, align 4
  %wide.load101.2 = load <4 x i32>, ptr %87, align 4
  %wide.load102.2 = load <4 x i32>, ptr %88, align 4
  %89 = add <4 x i32> %wide.load.2, splat (i32 1)
  %90 = add <4 x i32> %wide.load100.2, splat (i32 1)
  %91 = add <4 x i32> %wide.load101.2, splat (i32 1)
  %92 = add <4 x i32> %wide.load102.2, splat (i32 1)
  %93 = getelementptr inbounds i32, ptr %2, i64 %offset.idx99.2
  %94 = getelementptr inbounds nuw i8, ptr %93, i64 16
  %95 = getelementptr inbounds nuw i8, ptr %93, i64 32
  %96 = getelementptr inbounds nuw i8, ptr %93, i64 48
  store <4 x i32> %89, ptr %93, align 4
  store <4 x i32> %90, ptr %94, align 4
  store <4 x i32> %91, ptr %95, align 4
  store <4 x i32> %92, ptr %96, align 4
  %97 = icmp eq <4 x i32> %89, splat (i32 -2147483648)
  %98 = icmp eq <4 x i32> %90, splat (i32 -2147483648)
  %99 = icmp eq <4 x i32> %91, splat (i32 -2147483648)
  %100 = icmp eq <4 x i32> %92, splat (i32 -2147483648)
  %101 = zext <4 x i1> %97 to <4 x i64>
  %102 = zext <4 x i1> %98 to <4 x i64>
  %103 = zext <4 x i1> %99 to <4 x i64>
  %104 = zext <4 x i1> %100 to <4 x i64>
  %105 = add <4 x i64> %81, %101
  %106 = add nuw nsw <4 x i64> %82, %102
  %107 = add nuw nsw <4 x i64> %83, %103
  %108 = add nuw nsw <4 x i64> %84, %104
  %offset.idx99.3 = or disjoint i64 %w.lo, 48
  %109 = getelementptr inbounds i32, ptr %arg.col, i64 %offset.idx99.3
  %110 = getelementptr inbounds nuw i8, ptr %109, i64 16
  %111 = getelementptr inbounds nuw i8, ptr %109, i64 32
  %112 = getelementptr inbounds nuw i8, ptr %109, i64 48
  %wide.load.3 = load <4 x i32>, ptr %109, align 4
  %wide.load100.3 = load <4 x i32>, ptr %110, align 4
  %wide.load101.3 = load <4 x i32>, ptr %111, align 4
  %wide.load102.3 = load <4 x i32>, ptr %112, align 4
  %113 = add <4 x i32> %wide.load.3, splat (i32 1)
  %114 = add <4 x i32> %wide.load100.3, splat (i32 1)
  %115 = add <4 x i32> %wide.load101.3, splat (i32 1)
  %116 = add <4 x i32> %wide.load102.3, splat (i32 1)
  %117 = getelementptr inbounds i32, ptr %2, i64 %offset.idx99.3
  %118 = getelementptr inbounds nuw i8, ptr %117, i64 16
  %119 = getelementptr inbounds nuw i8, ptr %117, i64 32
  %120 = getelementptr inbounds nuw i8, ptr %117, i64 48
  store <4 x i32> %113, ptr %117, align 4
  store <4 x i32> %114, ptr %118, align 4
  store <4 x i32> %115, ptr %119, align 4
  store <4 x i32> %116, ptr %120, align 4
  %121 = icmp eq <4 x i32> %113, splat (i32 -2147483648)
  %122 = icmp eq <4 x i32> %114, splat (i32 -2147483648)
  %123 = icmp eq <4 x i32> %115, splat (i32 -2147483648)
  %124 = icmp eq <4 x i32> %116, splat (i32 -2147483648)
  %125 = zext <4 x i1> %121 to <4 x i64>
  %126 = zext <4 x i1> %122 to <4 x i64>
  %127 = zext <4 x i1> %123 to <4 x i64>
  %128 = zext <4 x i1> %124 to <4 x i64>
  %129 = add <4 x i64> %105, %125
  %130 = add nuw nsw <4 x i64> %106, %126
  %131 = add nuw nsw <4 x i64> %107, %127
  %132 = add nuw nsw <4 x i64> %108, %128
  %bin.rdx105 = add <4 x i64> %130, %129
  %bin.rdx106 = add <4 x i64> %131, %bin.rdx105
  %bin.rdx107 = add <4 x i64> %132, %bin.rdx106
  %133 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx107)
  br label %word.join

vector.ph:                                        ; preds = %loop1
  %134 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.acc5, i64 0
  %135 = trunc i64 %w.lo to i8
  %broadcast.splatinsert = insertelement <4 x i8> poison, i8 %135, i64 0
  %broadcast.splat = shufflevector <4 x i8> %broadcast.splatinsert, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction = or disjoint <4 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ %134, %vector.ph ], [ %159, %vector.body ]
  %vec.phi83 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %160, %vector.body ]
  %vec.ind = phi <4 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
  %offset.idx = add i64 %w.lo, %index
  %136 = lshr exact i64 %offset.idx, 3
  %137 = lshr exact i64 %offset.idx, 3
  %138 = getelementptr inbounds nuw i8, ptr %3, i64 %136
  %139 = getelementptr inbounds nuw i8, ptr %3, i64 %137
  %140 = load i8, ptr %138, align 1
  %broadcast.splatinsert84 = insertelement <4 x i8> poison, i8 %140, i64 0
  %broadcast.splat85 = shufflevector <4 x i8> %broadcast.splatinsert84, <4 x i8> poison, <4 x i32> zeroinitializer
  %141 = load i8, ptr %139, align 1
  %broadcast.splatinsert86 = insertelement <4 x i8> poison, i8 %141, i64 0
  %broadcast.splat87 = shufflevector <4 x i8> %broadcast.splatinsert86, <4 x i8> poison, <4 x i32> zeroinitializer
  %142 = and <4 x i8> %vec.ind, splat (i8 7)
  %143 = and <4 x i8> %vec.ind, splat (i8 7)
  %144 = xor <4 x i8> %143, splat (i8 4)
  %145 = shl nuw <4 x i8> splat (i8 1), %142
  %146 = shl nuw <4 x i8> splat (i8 1), %144
  %147 = and <4 x i8> %145, %broadcast.splat85
  %148 = and <4 x i8> %146, %broadcast.splat87
  %149 = icmp ne <4 x i8> %147, zeroinitializer
  %150 = icmp ne <4 x i8> %148, zeroinitializer
  %151 = getelementptr i32, ptr %arg.col, i64 %offset.idx
  %152 = getelementptr i8, ptr %151, i64 16
  %wide.masked.load = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %151, <4 x i1> %149, <4 x i32> poison)
  %wide.masked.load88 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %152, <4 x i1> %150, <4 x i32> poison)
  %153 = add <4 x i32> %wide.masked.load, splat (i32 1)
  %154 = add <4 x i32> %wide.masked.load88, splat (i32 1)
  %155 = icmp eq <4 x i32> %153, splat (i32 -2147483648)
  %156 = icmp eq <4 x i32> %154, splat (i32 -2147483648)
  %predphi = select <4 x i1> %149, <4 x i32> %153, <4 x i32> zeroinitializer
  %predphi89 = select <4 x i1> %150, <4 x i32> %154, <4 x i32> zeroinitializer
  %narrow = select <4 x i1> %149, <4 x i1> %155, <4 x i1> zeroinitializer
  %predphi90 = zext <4 x i1> %narrow to <4 x i64>
  %narrow166 = select <4 x i1> %150, <4 x i1> %156, <4 x i1> zeroinitializer
  %predphi91 = zext <4 x i1> %narrow166 to <4 x i64>
  %157 = getelementptr inbounds i32, ptr %2, i64 %offset.idx
  %158 = getelementptr inbounds nuw i8, ptr %157, i64 16
  store <4 x i32> %predphi, ptr %157, align 4
  store <4 x i32> %predphi89, ptr %158, align 4
  %159 = add <4 x i64> %vec.phi, %predphi90
  %160 = add <4 x i64> %vec.phi83, %predphi91
  %index.next = add nuw i64 %index, 8
  %vec.ind.next = add <4 x i8> %vec.ind, splat (i8 8)
  %161 = icmp eq i64 %index.next, 64
  br i1 %161, label %word.join.loopexit, label %vector.body, !llvm.loop !8

loop.exit2:                                       ; preds = %word.join, %masked
  %hits.out39 = phi i64 [ 0, %masked ], [ %w.hits, %word.join ]
  %tail.lo = and i64 %0, -64
  %loop.any42.not = icmp eq i64 %tail.lo, %0
  br i1 %loop.any42.not, label %common.ret, label %loop40.preheader

loop40.preheader:                                 ; preds = %loop.exit2
  %162 = or disjoint i64 %tail.lo, 1
  %umax = tail call i64 @llvm.umax.i64(i64 %0, i64 %162)
  %163 = sub i64 %umax, %tail.lo
  %min.iters.check = icmp ult i64 %163, 8
  br i1 %min.iters.check, label %loop40.preheader173, label %vector.ph108

vector.ph108:                                     ; preds = %loop40.preheader
  %n.mod.vf = and i64 %umax, 7
  %n.vec = sub nuw i64 %163, %n.mod.vf
  %164 = add i64 %tail.lo, %n.vec
  %165 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.out39, i64 0
  %166 = trunc i64 %tail.lo to i8
  %broadcast.splatinsert109 = insertelement <4 x i8> poison, i8 %166, i64 0
  %broadcast.splat110 = shufflevector <4 x i8> %broadcast.splatinsert109, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction111 = or disjoint <4 x i8> %broadcast.splat110, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body112

vector.body112:                                   ; preds = %vector.body112, %vector.ph108
  %index113 = phi i64 [ 0, %vector.ph108 ], [ %index.next129, %vector.body112 ]
  %vec.phi114 = phi <4 x i64> [ %165, %vector.ph108 ], [ %190, %vector.body112 ]
  %vec.phi115 = phi <4 x i64> [ zeroinitializer, %vector.ph108 ], [ %191, %vector.body112 ]
  %vec.ind116 = phi <4 x i8> [ %induction111, %vector.ph108 ], [ %vec.ind.next130, %vector.body112 ]
  %offset.idx118 = add i64 %tail.lo, %index113
  %167 = lshr exact i64 %offset.idx118, 3
  %168 = lshr exact i64 %offset.idx118, 3
  %169 = getelementptr inbounds nuw i8, ptr %3, i64 %167
  %170 = getelementptr inbounds nuw i8, ptr %3, i64 %168
  %171 = load i8, ptr %169, align 1
  %broadcast.splatinsert119 = insertelement <4 x i8> poison, i8 %171, i64 0
  %broadcast.splat120 = shufflevector <4 x i8> %broadcast.splatinsert119, <4 x i8> poison, <4 x i32> zeroinitializer
  %172 = load i8, ptr %170, align 1
  %broadcast.splatinsert121 = insertelement <4 x i8> poison, i8 %172, i64 0
  %broadcast.splat122 = shufflevector <4 x i8> %broadcast.splatinsert121, <4 x i8> poison, <4 x i32> zeroinitializer
  %173 = and <4 x i8> %vec.ind116, splat (i8 7)
  %174 = and <4 x i8> %vec.ind116, splat (i8 7)
  %175 = xor <4 x i8> %174, splat (i8 4)
  %176 = shl nuw <4 x i8> splat (i8 1), %173
  %177 = shl nuw <4 x i8> splat (i8 1), %175
  %178 = and <4 x i8> %176, %broadcast.splat120
  %179 = and <4 x i8> %177, %broadcast.splat122
  %180 = icmp ne <4 x i8> %178, zeroinitializer
  %181 = icmp ne <4 x i8> %179, zeroinitializer
  %182 = getelementptr i32, ptr %arg.col, i64 %offset.idx118
  %183 = getelementptr i8, ptr %182, i64 16
  %wide.masked.load123 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %182, <4 x i1> %180, <4 x i32> poison)
  %wide.masked.load124 = tail call <4 x i32> @llvm.masked.load.v4i32.p0(ptr align 4 %183, <4 x i1> %181, <4 x i32> poison)
  %184 = add <4 x i32> %wide.masked.load123, splat (i32 1)
  %185 = add <4 x i32> %wide.masked.load124, splat (i32 1)
  %186 = icmp eq <4 x i32> %184, splat (i32 -2147483648)
  %187 = icmp eq <4 x i32> %185, splat (i32 -2147483648)
  %predphi125 = select <4 x i1> %180, <4 x i32> %184, <4 x i32> zeroinitializer
  %predphi126 = select <4 x i1> %181, <4 x i32> %185, <4 x i32> zeroinitializer
  %narrow167 = select <4 x i1> %180, <4 x i1> %186, <4 x i1> zeroinitializer
  %predphi127 = zext <4 x i1> %narrow167 to <4 x i64>
  %narrow168 = select <4 x i1> %181, <4 x i1> %187, <4 x i1> zeroinitializer
  %predphi128 = zext <4 x i1> %narrow168 to <4 x i64>
  %188 = getelementptr inbounds i32, ptr %2, i64 %offset.idx118
  %189 = getelementptr inbounds nuw i8, ptr %188, i64 16
  store <4 x i32> %predphi125, ptr %188, align 4
  store <4 x i32> %predphi126, ptr %189, align 4
  %190 = add <4 x i64> %vec.phi114, %predphi127
  %191 = add <4 x i64> %vec.phi115, %predphi128
  %index.next129 = add nuw i64 %index113, 8
  %vec.ind.next130 = add <4 x i8> %vec.ind116, splat (i8 8)
  %192 = icmp eq i64 %index.next129, %n.vec
  br i1 %192, label %middle.block131, label %vector.body112, !llvm.loop !9

middle.block131:                                  ; preds = %vector.body112
  %bin.rdx132 = add <4 x i64> %191, %190
  %193 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx132)
  %cmp.n = icmp eq i64 %n.mod.vf, 0
  br i1 %cmp.n, label %common.ret, label %loop40.preheader173

loop40.preheader173:                              ; preds = %loop40.preheader, %middle.block131
  %i43.ph = phi i64 [ %tail.lo, %loop40.preheader ], [ %164, %middle.block131 ]
  %hits.acc44.ph = phi i64 [ %hits.out39, %loop40.preheader ], [ %193, %middle.block131 ]
  br label %loop40

word.empty:                                       ; preds = %loop1
  %z.p = getelementptr inbounds i32, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(256) %z.p, i8 0, i64 256, i1 false)
  br label %word.join

word.join.loopexit:                               ; preds = %vector.body
  %bin.rdx = add <4 x i64> %160, %159
  %194 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx)
  br label %word.join

word.join:                                        ; preds = %vector.body93, %word.join.loopexit, %word.empty
  %w.hits = phi i64 [ %194, %word.join.loopexit ], [ %hits.acc5, %word.empty ], [ %133, %vector.body93 ]
  %i.next37 = add nuw nsw i64 %i4, 1
  %exitcond76.not = icmp eq i64 %i.next37, %words
  br i1 %exitcond76.not, label %loop.exit2, label %loop1

loop40:                                           ; preds = %loop40.preheader173, %row.join55
  %i43 = phi i64 [ %i.next65, %row.join55 ], [ %i43.ph, %loop40.preheader173 ]
  %hits.acc44 = phi i64 [ %hits64, %row.join55 ], [ %hits.acc44.ph, %loop40.preheader173 ]
  %byte.i45 = lshr i64 %i43, 3
  %byte.p46 = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i45
  %byte47 = load i8, ptr %byte.p46, align 1
  %195 = trunc i64 %i43 to i8
  %bit.i849 = and i8 %195, 7
  %196 = shl nuw i8 1, %bit.i849
  %197 = and i8 %196, %byte47
  %valid52.not = icmp eq i8 %197, 0
  br i1 %valid52.not, label %row.join55, label %row.valid53

row.valid53:                                      ; preds = %loop40
  %a.p56 = getelementptr inbounds i32, ptr %arg.col, i64 %i43
  %a57 = load i32, ptr %a.p56, align 4
  %.6.i.i = add i32 %a57, 1
  %r.null60 = icmp eq i32 %.6.i.i, -2147483648
  %r.null6461 = zext i1 %r.null60 to i64
  br label %row.join55

row.join55:                                       ; preds = %loop40, %row.valid53
  %.6.i.i.sink = phi i32 [ %.6.i.i, %row.valid53 ], [ 0, %loop40 ]
  %hit63 = phi i64 [ %r.null6461, %row.valid53 ], [ 0, %loop40 ]
  %198 = getelementptr inbounds i32, ptr %2, i64 %i43
  store i32 %.6.i.i.sink, ptr %198, align 4
  %hits64 = add i64 %hit63, %hits.acc44
  %i.next65 = add nuw i64 %i43, 1
  %loop.more66 = icmp ult i64 %i.next65, %0
  br i1 %loop.more66, label %loop40, label %common.ret, !llvm.loop !10
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #1

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <4 x i32> @llvm.masked.load.v4i32.p0(ptr captures(none), <4 x i1>, <4 x i32>) #2

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>) #3

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.umax.i64(i64, i64) #4

attributes #0 = { nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #1 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #2 = { nocallback nofree nosync nounwind willreturn memory(argmem: read) }
attributes #3 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }
attributes #4 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }

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
!9 = distinct !{!9, !3, !4}
!10 = distinct !{!10, !4, !3}
