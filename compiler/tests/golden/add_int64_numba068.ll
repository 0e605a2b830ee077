; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #0 {
entry:
  %arg.col = load ptr, ptr %1, align 8
  %arg.slot1 = getelementptr inbounds nuw i8, ptr %1, i64 8
  %arg.col2 = load ptr, ptr %arg.slot1, align 8
  %no.validity = icmp eq ptr %3, null
  br i1 %no.validity, label %dense, label %masked

dense:                                            ; preds = %entry
  %loop.any.not = icmp eq i64 %0, 0
  br i1 %loop.any.not, label %common.ret, label %iter.check

iter.check:                                       ; preds = %dense
  %min.iters.check152 = icmp ult i64 %0, 4
  br i1 %min.iters.check152, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check154 = icmp ult i64 %0, 16
  br i1 %min.iters.check154, label %vec.epilog.ph, label %vector.ph155

vector.ph155:                                     ; preds = %vector.main.loop.iter.check
  %n.mod.vf156 = and i64 %0, 12
  %n.vec157 = and i64 %0, -16
  br label %vector.body158

vector.body158:                                   ; preds = %vector.body158, %vector.ph155
  %index159 = phi i64 [ 0, %vector.ph155 ], [ %index.next172, %vector.body158 ]
  %vec.phi160 = phi <4 x i64> [ zeroinitializer, %vector.ph155 ], [ %28, %vector.body158 ]
  %vec.phi161 = phi <4 x i64> [ zeroinitializer, %vector.ph155 ], [ %29, %vector.body158 ]
  %vec.phi162 = phi <4 x i64> [ zeroinitializer, %vector.ph155 ], [ %30, %vector.body158 ]
  %vec.phi163 = phi <4 x i64> [ zeroinitializer, %vector.ph155 ], [ %31, %vector.body158 ]
  %4 = getelementptr inbounds i64, ptr %arg.col, i64 %index159
  %5 = getelementptr inbounds nuw i8, ptr %4, i64 32
  %6 = getelementptr inbounds nuw i8, ptr %4, i64 64
  %7 = getelementptr inbounds nuw i8, ptr %4, i64 96
  %wide.load164 = load <4 x i64>, ptr %4, align 8
  %wide.load165 = load <4 x i64>, ptr %5, align 8
  %wide.load166 = load <4 x i64>, ptr %6, align 8
  %wide.load167 = load <4 x i64>, ptr %7, align 8
  %8 = getelementptr inbounds i64, ptr %arg.col2, i64 %index159
  %9 = getelementptr inbounds nuw i8, ptr %8, i64 32
  %10 = getelementptr inbounds nuw i8, ptr %8, i64 64
  %11 = getelementptr inbounds nuw i8, ptr %8, i64 96
  %wide.load168 = load <4 x i64>, ptr %8, align 8
  %wide.load169 = load <4 x i64>, ptr %9, align 8
  %wide.load170 = load <4 x i64>, ptr %10, align 8
  %wide.load171 = load <4 x i64>, ptr %11, align 8
  %12 = add nsw <4 x i64> %wide.load168, %wide.load164
  %13 = add nsw <4 x i64> %wide.load169, %wide.load165
  %14 = add nsw <4 x i64> %wide.load170, %wide.load166
  %15 = add nsw <4 x i64> %wide.load171, %wide.load167
  %16 = getelementptr inbounds i64, ptr %2, i64 %index159
  %17 = getelementptr inbounds nuw i8, ptr %16, i64 32
  %18 = getelementptr inbounds nuw i8, ptr %16, i64 64
  %19 = getelementptr inbounds nuw i8, ptr %16, i64 96
  store <4 x i64> %12, ptr %16, align 8
  store <4 x i64> %13, ptr %17, align 8
  store <4 x i64> %14, ptr %18, align 8
  store <4 x i64> %15, ptr %19, align 8
  %20 = icmp eq <4 x i64> %12, splat (i64 -9223372036854775808)
  %21 = icmp eq <4 x i64> %13, splat (i64 -9223372036854775808)
  %22 = icmp eq <4 x i64> %14, splat (i64 -9223372036854775808)
  %23 = icmp eq <4 x i64> %15, splat (i64 -9223372036854775808)
  %24 = zext <4 x i1> %20 to <4 x i64>
  %25 = zext <4 x i1> %21 to <4 x i64>
  %26 = zext <4 x i1> %22 to <4 x i64>
  %27 = zext <4 x i1> %23 to <4 x i64>
  %28 = add <4 x i64> %vec.phi160, %24
  %29 = add <4 x i64> %vec.phi161, %25
  %30 = add <4 x i64> %vec.phi162, %26
  %31 = add <4 x i64> %vec.phi163, %27
  %index.next172 = add nuw i64 %index159, 16
  %32 = icmp eq i64 %index.next172, %n.vec157
  br i1 %32, label %middle.block173, label %vector.body158, !llvm.loop !2

middle.block173:                                  ; preds = %vector.body158
  %bin.rdx174 = add <4 x i64> %29, %28
  %bin.rdx175 = add <4 x i64> %30, %bin.rdx174
  %bin.rdx176 = add <4 x i64> %31, %bin.rdx175
  %33 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx176)
  %cmp.n177 = icmp eq i64 %0, %n.vec157
  br i1 %cmp.n177, label %common.ret, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block173
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf156, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !5

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec157, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %bc.merge.rdx178 = phi i64 [ %33, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec180 = and i64 %0, -4
  %34 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %bc.merge.rdx178, i64 0
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index181 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next185, %vec.epilog.vector.body ]
  %vec.phi182 = phi <4 x i64> [ %34, %vec.epilog.ph ], [ %41, %vec.epilog.vector.body ]
  %35 = getelementptr inbounds i64, ptr %arg.col, i64 %index181
  %wide.load183 = load <4 x i64>, ptr %35, align 8
  %36 = getelementptr inbounds i64, ptr %arg.col2, i64 %index181
  %wide.load184 = load <4 x i64>, ptr %36, align 8
  %37 = add nsw <4 x i64> %wide.load184, %wide.load183
  %38 = getelementptr inbounds i64, ptr %2, i64 %index181
  store <4 x i64> %37, ptr %38, align 8
  %39 = icmp eq <4 x i64> %37, splat (i64 -9223372036854775808)
  %40 = zext <4 x i1> %39 to <4 x i64>
  %41 = add <4 x i64> %vec.phi182, %40
  %index.next185 = add nuw i64 %index181, 4
  %42 = icmp eq i64 %index.next185, %n.vec180
  br i1 %42, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !6

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %43 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %41)
  %cmp.n186 = icmp eq i64 %0, %n.vec180
  br i1 %cmp.n186, label %common.ret, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ 0, %iter.check ], [ %n.vec157, %vec.epilog.iter.check ], [ %n.vec180, %vec.epilog.middle.block ]
  %hits.acc.ph = phi i64 [ 0, %iter.check ], [ %33, %vec.epilog.iter.check ], [ %43, %vec.epilog.middle.block ]
  br label %loop

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any7.not = icmp eq i64 %words, 0
  br i1 %loop.any7.not, label %loop.exit6, label %loop5

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader ]
  %a.p = getelementptr inbounds i64, ptr %arg.col, i64 %i
  %a = load i64, ptr %a.p, align 8
  %a.p3 = getelementptr inbounds i64, ptr %arg.col2, i64 %i
  %a4 = load i64, ptr %a.p3, align 8
  %.6.i.i80 = add nsw i64 %a4, %a
  %o.p = getelementptr inbounds i64, ptr %2, i64 %i
  store i64 %.6.i.i80, ptr %o.p, align 8
  %r.null = icmp eq i64 %.6.i.i80, -9223372036854775808
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond87.not = icmp eq i64 %i.next, %0
  br i1 %exitcond87.not, label %common.ret, label %loop, !llvm.loop !7

common.ret:                                       ; preds = %row.join63, %loop, %middle.block149, %middle.block173, %vec.epilog.middle.block, %loop.exit6, %dense
  %common.ret.op = phi i64 [ %hits, %loop ], [ 0, %dense ], [ %hits.out47, %loop.exit6 ], [ %43, %vec.epilog.middle.block ], [ %33, %middle.block173 ], [ %218, %middle.block149 ], [ %hits74, %row.join63 ]
  ret i64 %common.ret.op

loop5:                                            ; preds = %masked, %word.join
  %i8 = phi i64 [ %i.next45, %word.join ], [ 0, %masked ]
  %hits.acc9 = phi i64 [ %w.hits, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i8, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i8, 6
  switch i64 %w.bits, label %vector.ph [
    i64 -1, label %vector.body105
    i64 0, label %word.empty
  ]

vector.body105:                                   ; preds = %loop5
  %44 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.acc9, i64 0
  %45 = getelementptr inbounds i64, ptr %arg.col, i64 %w.lo
  %46 = getelementptr inbounds nuw i8, ptr %45, i64 32
  %47 = getelementptr inbounds nuw i8, ptr %45, i64 64
  %48 = getelementptr inbounds nuw i8, ptr %45, i64 96
  %wide.load = load <4 x i64>, ptr %45, align 8
  %wide.load112 = load <4 x i64>, ptr %46, align 8
  %wide.load113 = load <4 x i64>, ptr %47, align 8
  %wide.load114 = load <4 x i64>, ptr %48, align 8
  %49 = getelementptr inbounds i64, ptr %arg.col2, i64 %w.lo
  %50 = getelementptr inbounds nuw i8, ptr %49, i64 32
  %51 = getelementptr inbounds nuw i8, ptr %49, i64 64
  %52 = getelementptr inbounds nuw i8, ptr %49, i64 96
  %wide.load115 = load <4 x i64>, ptr %49, align 8
  %wide.load116 = load <4 x i64>, ptr %50, align 8
  %wide.load117 = load <4 x i64>, ptr %51, align 8
  %wide.load118 = load <4 x i64>, ptr %52, align 8
  %53 = add nsw <4 x i64> %wide.load115, %wide.load
  %54 = add nsw <4 x i64> %wide.load116, %wide.load112
  %55 = add nsw <4 x i64> %wide.load117, %wide.load113
  %56 = add nsw <4 x i64> %wide.load118, %wide.load114
  %57 = getelementptr inbounds i64, ptr %2, i64 %w.lo
  %58 = getelementptr inbounds nuw i8, ptr %57, i64 32
  %59 = getelementptr inbounds nuw i8, ptr %57, i64 64
  %60 = getelementptr inbounds nuw i8, ptr %57, i64 96
  store <4 x i64> %53, ptr %57, align 8
  store <4 x i64> %54, ptr %58, align 8
  store <4 x i64> %55, ptr %59, align 8
  store <4 x i64> %56, ptr %60, align 8
  %61 = icmp eq <4 x i64> %53, splat (i64 -9223372036854775808)
  %62 = icmp eq <4 x i64> %54, splat (i64 -9223372036854775808)
  %63 = icmp eq <4 x i64> %55, splat (i64 -9223372036854775808)
  %64 = icmp eq <4 x i64> %56, splat (i64 -9223372036854775808)
  %65 = zext <4 x i1> %61 to <4 x i64>
  %66 = zext <4 x i1> %62 to <4 x i64>
  %67 = zext <4 x i1> %63 to <4 x i64>
  %68 = zext <4 x i1> %64 to <4 x i64>
  %69 = add <4 x i64> %44, %65
  %offset.idx111.1 = or disjoint i64 %w.lo, 16
  %70 = getelementptr inbounds i64, ptr %arg.col, i64 %offset.idx111.1
  %71 = getelementptr inbounds nuw i8, ptr %70, i64 32
  %72 = getelementptr inbounds nuw i8, ptr %70, i64 64
  %73 = getelementptr inbounds nuw i8, ptr %70, i64 96
  %wide.load.1 = load <4 x i64>, ptr %70, align 8
  %wide.load112.1 = load <4 x i64>, ptr %71, align 8
  %wide.load113.1 = load <4 x i64>, ptr %72, align 8
  %wide.load114.1 = load <4 x i64>, ptr %73, align 8
  %74 = getelementptr inbounds i64, ptr %arg.col2, i64 %offset.idx111.1
  %75 = getelementptr inbounds nuw i8, ptr %74, i64 32
  %76 = getelementptr inbounds nuw i8, ptr %74, i64 64
  %77 = getelementptr inbounds nuw i8, ptr %74, i64 96
  %wide.load115.1 = load <4 x i64>, ptr %74, align 8
  %wide.load116.1 = load <4 x i64>, ptr %75, align 8
  %wide.load117.1 = load <4 x i64>, ptr %76, align 8
  %wide.load118.1 = load <4 x i64>, ptr %77, align 8
  %78 = add nsw <4 x i64> %wide.load115.1, %wide.load.1
  %79 = add nsw <4 x i64> %wide.load116.1, %wide.load112.1
  %80 = add nsw <4 x i64> %wide.load117.1, %wide.load113.1
  %81 = add nsw <4 x i64> %wide.load118.1, %wide.load114.1
  %82 = getelementptr inbounds i64, ptr %2, i64 %offset.idx111.1
  %83 = getelementptr inbounds nuw i8, ptr %82, i64 32
  %84 = getelementptr inbounds nuw i8, ptr %82, i64 64
  %85 = getelementptr inbounds nuw i8, ptr %82, i64 96
  store <4 x i64> %78, ptr %82, align 8
  store <4 x i64> %79, ptr %83, align 8
  store <4 x i64> %80, ptr %84, align 8
  store <4 x i64> %81, ptr %85, align 8
  %86 = icmp eq <4 x i64> %78, splat (i64 -9223372036854775808)
  %87 = icmp eq <4 x i64> %79, splat (i64 -9223372036854775808)
  %88 = icmp eq <4 x i64> %80, splat (i64 -9223372036854775808)
  %89 = icmp eq <4 x i64> %81, splat (i64 -9223372036854775808)
  %90 = zext <4 x i1> %86 to <4 x i64>
  %91 = zext <4 x i1> %87 to <4 x i64>
  %92 = zext <4 x i1> %88 to <4 x i64>
  %93 = zext <4 x i1> %89 to <4 x i64>
  %94 = add <4 x i64> %69, %90
  %95 = add nuw nsw <4 x i64> %66, %91
  %96 = add nuw nsw <4 x i64> %67, %92
  %97 = add nuw nsw <4 x i64> %68, %93
  %offset.idx111.2 = or disjoint i64 %w.lo, 32
  %98 = getelementptr inbounds i64, ptr %arg.col, i64 %offset.idx111.2
  %99 = getelementptr inbounds nuw i8, ptr %98, i64 32
  %100 = getelementptr inbounds nuw i8, ptr %98, i64 64
  %101 = getelementptr inbounds nuw i8, ptr %98, i64 96
  %wide.load.2 = load <4 x i64>, ptr %98, align 8
  %wide.load112.2 = load <4 x i64>, ptr %99, align 8
  %wide.load113.2 = load <4 x i64>, ptr %100, align 8
  %wide.load114.2 = load <4 x i64>, ptr %101, align 8
  %102 = getelementptr inbounds i64, ptr %arg.col2, i64 %offset.idx111.2
  %103 = getelementptr inbounds nuw i8, ptr %102, i64 32
  %104 = getelementptr inbounds nuw i8, ptr %102, i64 64
  %105 = getelementptr inbounds nuw i8, ptr %102, i64 96
  %wide.load115.2 = load <4 x i64>, ptr %102, align 8
  %wide.load116.2 = load <4 x i64>, ptr %103, align 8
  %wide.load117.2 = load <4 x i64>, ptr %104, align 8
  %wide.load118.2 = load <4 x i64>, ptr %105, align 8
  %106 = add nsw <4 x i64> %wide.load115.2, %wide.load.2
  %107 = add nsw <4 x i64> %wide.load116.2, %wide.load112.2
  %108 = add nsw <4 x i64> %wide.load117.2, %wide.load113.2
  %109 = add nsw <4 x i64> %wide.load118.2, %wide.load114.2
  %110 = getelementptr inbounds i64, ptr %2, i64 %offset.idx111.2
  %111 = getelementptr inbounds nuw i8, ptr %110, i64 32
  %112 = getelementptr inbounds nuw i8, ptr %110, i64 64
  %113 = getelementptr inbounds nuw i8, ptr %110, i64 96
  store <4 x i64> %106, ptr %110, align 8
  store <4 x i64> %107, ptr %111, align 8
  store <4 x i64> %108, ptr %112, align 8
  store <4 x i64> %109, ptr %113, align 8
  %114 = icmp eq <4 x i64> %106, splat (i64 -9223372036854775808)
  %115 = icmp eq <4 x i64> %107, splat (i64 -9223372036854775808)
  %116 = icmp eq <4 x i64> %108, splat (i64 -9223372036854775808)
  %117 = icmp eq <4 x i64> %109, splat (i64 -9223372036854775808)
  %118 = zext <4 x i1> %114 to <4 x i64>
  %119 = zext <4 x i1> %115 to <4 x i64>
  %120 = zext <4 x i1> %116 to <4 x i64>
  %121 = zext <4 x i1> %117 to <4 x i64>
  %122 = add <4 x i64> %94, %118
  %123 = add nuw nsw <4 x i64> %95, %119
  %124 = add nuw nsw <4 x i64> %96, %120
  %125 = add nuw nsw <4 x i64> %97, %121
  %offset.idx111.3 = or disjoint i64 %w.lo, 48
  %126 = getelementptr inbounds i64, ptr %arg.col, i64 %offset.idx111.3
  %127 = getelementptr inbounds nuw i8, ptr %126, i64 32
  %128 = getelementptr inbounds nuw i8, ptr %126, i64 64
  %129 = getelementptr inbounds nuw i8, ptr %126, i64 96
  %wide.load.3 = load <4 x i64>, ptr %126, align 8
  %wide.load112.3 = load <4 x i64>, ptr %127, align 8
  %wide.load113.3 = load <4 x i64>, ptr %128, align 8
  %wide.load114.3 = load <4 x i64>, ptr %129, align 8
  %130 = getelementptr inbounds i64, ptr %arg.col2, i64 %offset.idx111.3
  %131 = getelementptr inbounds nuw i8, ptr %130, i64 32
  %132 = getelementptr inbounds nuw i8, ptr %130, i64 64
  %133 = getelementptr inbounds nuw i8, ptr %130, i64 96
  %wide.load115.3 = load <4 x i64>, ptr %130, align 8
  %wide.load116.3 = load <4 x i64>, ptr %131, align 8
  %wide.load117.3 = load <4 x i64>, ptr %132, align 8
  %wide.load118.3 = load <4 x i64>, ptr %133, align 8
  %134 = add nsw <4 x i64> %wide.load115.3, %wide.load.3
  %135 = add nsw <4 x i64> %wide.load116.3, %wide.load112.3
  %136 = add nsw <4 x i64> %wide.load117.3, %wide.load113.3
  %137 = add nsw <4 x i64> %wide.load118.3, %wide.load114.3
  %138 = getelementptr inbounds i64, ptr %2, i64 %offset.idx111.3
  %139 = getelementptr inbounds nuw i8, ptr %138, i64 32
  %140 = getelementptr inbounds nuw i8, ptr %138, i64 64
  %141 = getelementptr inbounds nuw i8, ptr %138, i64 96
  store <4 x i64> %134, ptr %138, align 8
  store <4 x i64> %135, ptr %139, align 8
  store <4 x i64> %136, ptr %140, align 8
  store <4 x i64> %137, ptr %141, align 8
  %142 = icmp eq <4 x i64> %134, splat (i64 -9223372036854775808)
  %143 = icmp eq <4 x i64> %135, splat (i64 -9223372036854775808)
  %144 = icmp eq <4 x i64> %136, splat (i64 -9223372036854775808)
  %145 = icmp eq <4 x i64> %137, splat (i64 -9223372036854775808)
  %146 = zext <4 x i1> %142 to <4 x i64>
  %147 = zext <4 x i1> %143 to <4 x i64>
  %148 = zext <4 x i1> %144 to <4 x i64>
  %149 = zext <4 x i1> %145 to <4 x i64>
  %150 = add <4 x i64> %122, %146
  %151 = add nuw nsw <4 x i64> %123, %147
  %152 = add nuw nsw <4 x i64> %124, %148
  %153 = add nuw nsw <4 x i64> %125, %149
  %bin.rdx121 = add <4 x i64> %151, %150
  %bin.rdx122 = add <4 x i64> %152, %bin.rdx121
  %bin.rdx123 = add <4 x i64> %153, %bin.rdx122
  %154 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx123)
  br label %word.join

vector.ph:                                        ; preds = %loop5
  %155 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.acc9, i64 0
  %156 = trunc i64 %w.lo to i8
  %broadcast.splatinsert = insertelement <4 x i8> poison, i8 %156, i64 0
  %broadcast.splat = shufflevector <4 x i8> %broadcast.splatinsert, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction = or disjoint <4 x i8> %broadcast.splat, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ %155, %vector.ph ], [ %182, %vector.body ]
  %vec.phi93 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %183, %vector.body ]
  %vec.ind = phi <4 x i8> [ %induction, %vector.ph ], [ %vec.ind.next, %vector.body ]
  %offset.idx = add i64 %w.lo, %index
  %157 = lshr exact i64 %offset.idx, 3
  %158 = lshr exact i64 %offset.idx, 3
  %159 = getelementptr inbounds nuw i8, ptr %3, i64 %157
  %160 = getelementptr inbounds nuw i8, ptr %3, i64 %158
  %161 = load i8, ptr %159, align 1
  %broadcast.splatinsert94 = insertelement <4 x i8> poison, i8 %161, i64 0
  %broadcast.splat95 = shufflevector <4 x i8> %broadcast.splatinsert94, <4 x i8> poison, <4 x i32> zeroinitializer
  %162 = load i8, ptr %160, align 1
  %broadcast.splatinsert96 = insertelement <4 x i8> poison, i8 %162, i64 0
  %broadcast.splat97 = shufflevector <4 x i8> %broadcast.splatinsert96, <4 x i8> poison, <4 x i32> zeroinitializer
  %163 = and <4 x i8> %vec.ind, splat (i8 7)
  %164 = and <4 x i8> %vec.ind, splat (i8 7)
  %165 = xor <4 x i8> %164, splat (i8 4)
  %166 = shl nuw <4 x i8> splat (i8 1), %163
  %167 = shl nuw <4 x i8> splat (i8 1), %165
  %168 = and <4 x i8> %166, %broadcast.splat95
  %169 = and <4 x i8> %167, %broadcast.splat97
  %170 = icmp ne <4 x i8> %168, zeroinitializer
  %171 = icmp ne <4 x i8> %169, zeroinitializer
  %172 = getelementptr i64, ptr %arg.col, i64 %offset.idx
  %173 = getelementptr i8, ptr %172, i64 32
  %wide.masked.load = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %172, <4 x i1> %170, <4 x i64> poison)
  %wide.masked.load98 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %173, <4 x i1> %171, <4 x i64> poison)
  %174 = getelementptr i64, ptr %arg.col2, i64 %offset.idx
  %175 = getelementptr i8, ptr %174, i64 32
  %wide.masked.load99 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %174, <4 x i1> %170, <4 x i64> poison)
  %wide.masked.load100 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %175, <4 x i1> %171, <4 x i64> poison)
  %176 = add nsw <4 x i64> %wide.masked.load99, %wide.masked.load
  %177 = add nsw <4 x i64> %wide.masked.load100, %wide.masked.load98
  %178 = icmp eq <4 x i64> %176, splat (i64 -9223372036854775808)
  %179 = icmp eq <4 x i64> %177, splat (i64 -9223372036854775808)
  %predphi = select <4 x i1> %170, <4 x i64> %176, <4 x i64> zeroinitializer
  %predphi101 = select <4 x i1> %171, <4 x i64> %177, <4 x i64> zeroinitializer
  %narrow = select <4 x i1> %170, <4 x i1> %178, <4 x i1> zeroinitializer
  %predphi102 = zext <4 x i1> %narrow to <4 x i64>
  %narrow189 = select <4 x i1> %171, <4 x i1> %179, <4 x i1> zeroinitializer
  %predphi103 = zext <4 x i1> %narrow189 to <4 x i64>
  %180 = getelementptr inbounds i64, ptr %2, i64 %offset.idx
  %181 = getelementptr inbounds nuw i8, ptr %180, i64 32
  store <4 x i64> %predphi, ptr %180, align 8
  store <4 x i64> %predphi101, ptr %181, align 8
  %182 = add <4 x i64> %vec.phi, %predphi102
  %183 = add <4 x i64> %vec.phi93, %predphi103
  %index.next = add nuw i64 %index, 8
  %vec.ind.next = add <4 x i8> %vec.ind, splat (i8 8)
  %184 = icmp eq i64 %index.next, 64
  br i1 %184, label %word.join.loopexit, label %vector.body, !llvm.loop !8

loop.exit6:                                       ; preds = %word.join, %masked
  %hits.out47 = phi i64 [ 0, %masked ], [ %w.hits, %word.join ]
  %tail.lo = and i64 %0, -64
  %loop.any50.not = icmp eq i64 %tail.lo, %0
  br i1 %loop.any50.not, label %common.ret, label %loop48.preheader

loop48.preheader:                                 ; preds = %loop.exit6
  %185 = or disjoint i64 %tail.lo, 1
  %umax = tail call i64 @llvm.umax.i64(i64 %0, i64 %185)
  %186 = sub i64 %umax, %tail.lo
  %min.iters.check = icmp ult i64 %186, 8
  br i1 %min.iters.check, label %loop48.preheader196, label %vector.ph124

vector.ph124:                                     ; preds = %loop48.preheader
  %n.mod.vf = and i64 %umax, 7
  %n.vec = sub nuw i64 %186, %n.mod.vf
  %187 = add i64 %tail.lo, %n.vec
  %188 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.out47, i64 0
  %189 = trunc i64 %tail.lo to i8
  %broadcast.splatinsert125 = insertelement <4 x i8> poison, i8 %189, i64 0
  %broadcast.splat126 = shufflevector <4 x i8> %broadcast.splatinsert125, <4 x i8> poison, <4 x i32> zeroinitializer
  %induction127 = or disjoint <4 x i8> %broadcast.splat126, <i8 0, i8 1, i8 2, i8 3>
  br label %vector.body128

vector.body128:                                   ; preds = %vector.body128, %vector.ph124
  %index129 = phi i64 [ 0, %vector.ph124 ], [ %index.next147, %vector.body128 ]
  %vec.phi130 = phi <4 x i64> [ %188, %vector.ph124 ], [ %215, %vector.body128 ]
  %vec.phi131 = phi <4 x i64> [ zeroinitializer, %vector.ph124 ], [ %216, %vector.body128 ]
  %vec.ind132 = phi <4 x i8> [ %induction127, %vector.ph124 ], [ %vec.ind.next148, %vector.body128 ]
  %offset.idx134 = add i64 %tail.lo, %index129
  %190 = lshr exact i64 %offset.idx134, 3
  %191 = lshr exact i64 %offset.idx134, 3
  %192 = getelementptr inbounds nuw i8, ptr %3, i64 %190
  %193 = getelementptr inbounds nuw i8, ptr %3, i64 %191
  %194 = load i8, ptr %192, align 1
  %broadcast.splatinsert135 = insertelement <4 x i8> poison, i8 %194, i64 0
  %broadcast.splat136 = shufflevector <4 x i8> %broadcast.splatinsert135, <4 x i8> poison, <4 x i32> zeroinitializer
  %195 = load i8, ptr %193, align 1
  %broadcast.splatinsert137 = insertelement <4 x i8> poison, i8 %195, i64 0
  %broadcast.splat138 = shufflevector <4 x i8> %broadcast.splatinsert137, <4 x i8> poison, <4 x i32> zeroinitializer
  %196 = and <4 x i8> %vec.ind132, splat (i8 7)
  %197 = and <4 x i8> %vec.ind132, splat (i8 7)
  %198 = xor <4 x i8> %197, splat (i8 4)
  %199 = shl nuw <4 x i8> splat (i8 1), %196
  %200 = shl nuw <4 x i8> splat (i8 1), %198
  %201 = and <4 x i8> %199, %broadcast.splat136
  %202 = and <4 x i8> %200, %broadcast.splat138
  %203 = icmp ne <4 x i8> %201, zeroinitializer
  %204 = icmp ne <4 x i8> %202, zeroinitializer
  %205 = getelementptr i64, ptr %arg.col, i64 %offset.idx134
  %206 = getelementptr i8, ptr %205, i64 32
  %wide.masked.load139 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %205, <4 x i1> %203, <4 x i64> poison)
  %wide.masked.load140 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %206, <4 x i1> %204, <4 x i64> poison)
  %207 = getelementptr i64, ptr %arg.col2, i64 %offset.idx134
  %208 = getelementptr i8, ptr %207, i64 32
  %wide.masked.load141 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %207, <4 x i1> %203, <4 x i64> poison)
  %wide.masked.load142 = tail call <4 x i64> @llvm.masked.load.v4i64.p0(ptr align 8 %208, <4 x i1> %204, <4 x i64> poison)
  %209 = add nsw <4 x i64> %wide.masked.load141, %wide.masked.load139
  %210 = add nsw <4 x i64> %wide.masked.load142, %wide.masked.load140
  %211 = icmp eq <4 x i64> %209, splat (i64 -9223372036854775808)
  %212 = icmp eq <4 x i64> %210, splat (i64 -9223372036854775808)
  %predphi143 = select <4 x i1> %203, <4 x i64> %209, <4 x i64> zeroinitializer
  %predphi144 = select <4 x i1> %204, <4 x i64> %210, <4 x i64> zeroinitializer
  %narrow190 = select <4 x i1> %203, <4 x i1> %211, <4 x i1> zeroinitializer
  %predphi145 = zext <4 x i1> %narrow190 to <4 x i64>
  %narrow191 = select <4 x i1> %204, <4 x i1> %212, <4 x i1> zeroinitializer
  %predphi146 = zext <4 x i1> %narrow191 to <4 x i64>
  %213 = getelementptr inbounds i64, ptr %2, i64 %offset.idx134
  %214 = getelementptr inbounds nuw i8, ptr %213, i64 32
  store <4 x i64> %predphi143, ptr %213, align 8
  store <4 x i64> %predphi144, ptr %214, align 8
  %215 = add <4 x i64> %vec.phi130, %predphi145
  %216 = add <4 x i64> %vec.phi131, %predphi146
  %index.next147 = add nuw i64 %index129, 8
  %vec.ind.next148 = add <4 x i8> %vec.ind132, splat (i8 8)
  %217 = icmp eq i64 %index.next147, %n.vec
  br i1 %217, label %middle.block149, label %vector.body128, !llvm.loop !9

middle.block149:                                  ; preds = %vector.body128
  %bin.rdx150 = add <4 x i64> %216, %215
  %218 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx150)
  %cmp.n = icmp eq i64 %n.mod.vf, 0
  br i1 %cmp.n, label %common.ret, label %loop48.preheader196

loop48.preheader196:                              ; preds = %loop48.preheader, %middle.block149
  %i51.ph = phi i64 [ %tail.lo, %loop48.preheader ], [ %187, %middle.block149 ]
  %hits.acc52.ph = phi i64 [ %hits.out47, %loop48.preheader ], [ %218, %middle.block149 ]
  br label %loop48

word.empty:                                       ; preds = %loop5
  %z.p = getelementptr inbounds i64, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.join

word.join.loopexit:                               ; preds = %vector.body
  %bin.rdx = add <4 x i64> %183, %182
  %219 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx)
  br label %word.join

word.join:                                        ; preds = %vector.body105, %word.join.loopexit, %word.empty
  %w.hits = phi i64 [ %219, %word.join.loopexit ], [ %hits.acc9, %word.empty ], [ %154, %vector.body105 ]
  %i.next45 = add nuw nsw i64 %i8, 1
  %exitcond86.not = icmp eq i64 %i.next45, %words
  br i1 %exitcond86.not, label %loop.exit6, label %loop5

loop48:                                           ; preds = %loop48.preheader196, %row.join63
  %i51 = phi i64 [ %i.next75, %row.join63 ], [ %i51.ph, %loop48.preheader196 ]
  %hits.acc52 = phi i64 [ %hits74, %row.join63 ], [ %hits.acc52.ph, %loop48.preheader196 ]
  %byte.i53 = lshr i64 %i51, 3
  %byte.p54 = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i53
  %byte55 = load i8, ptr %byte.p54, align 1
  %220 = trunc i64 %i51 to i8
  %bit.i857 = and i8 %220, 7
  %221 = shl nuw i8 1, %bit.i857
  %222 = and i8 %221, %byte55
  %valid60.not = icmp eq i8 %222, 0
  br i1 %valid60.not, label %row.join63, label %row.valid61

row.valid61:                                      ; preds = %loop48
  %a.p64 = getelementptr inbounds i64, ptr %arg.col, i64 %i51
  %a65 = load i64, ptr %a.p64, align 8
  %a.p66 = getelementptr inbounds i64, ptr %arg.col2, i64 %i51
  %a67 = load i64, ptr %a.p66, align 8
  %.6.i.i = add nsw i64 %a67, %a65
  %r.null70 = icmp eq i64 %.6.i.i, -9223372036854775808
  %r.null6471 = zext i1 %r.null70 to i64
  br label %row.join63

row.join63:                                       ; preds = %loop48, %row.valid61
  %.6.i.i.sink = phi i64 [ %.6.i.i, %row.valid61 ], [ 0, %loop48 ]
  %hit73 = phi i64 [ %r.null6471, %row.valid61 ], [ 0, %loop48 ]
  %223 = getelementptr inbounds i64, ptr %2, i64 %i51
  store i64 %.6.i.i.sink, ptr %223, align 8
  %hits74 = add i64 %hit73, %hits.acc52
  %i.next75 = add nuw i64 %i51, 1
  %loop.more76 = icmp ult i64 %i.next75, %0
  br i1 %loop.more76, label %loop48, label %common.ret, !llvm.loop !10
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #1

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: read)
declare <4 x i64> @llvm.masked.load.v4i64.p0(ptr captures(none), <4 x i1>, <4 x i64>) #2

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
