; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.sqrt.f64(double) #0

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.exp.f64(double) #0

; Function Attrs: nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3) local_unnamed_addr #1 {
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
  %min.iters.check = icmp ult i64 %0, 4
  br i1 %min.iters.check, label %loop.preheader, label %vector.main.loop.iter.check

vector.main.loop.iter.check:                      ; preds = %iter.check
  %min.iters.check127 = icmp ult i64 %0, 16
  br i1 %min.iters.check127, label %vec.epilog.ph, label %vector.ph128

vector.ph128:                                     ; preds = %vector.main.loop.iter.check
  %n.mod.vf = and i64 %0, 12
  %n.vec = and i64 %0, -16
  br label %vector.body129

vector.body129:                                   ; preds = %vector.body129, %vector.ph128
  %index130 = phi i64 [ 0, %vector.ph128 ], [ %index.next143, %vector.body129 ]
  %vec.phi131 = phi <4 x i64> [ zeroinitializer, %vector.ph128 ], [ %56, %vector.body129 ]
  %vec.phi132 = phi <4 x i64> [ zeroinitializer, %vector.ph128 ], [ %57, %vector.body129 ]
  %vec.phi133 = phi <4 x i64> [ zeroinitializer, %vector.ph128 ], [ %58, %vector.body129 ]
  %vec.phi134 = phi <4 x i64> [ zeroinitializer, %vector.ph128 ], [ %59, %vector.body129 ]
  %4 = getelementptr inbounds double, ptr %arg.col, i64 %index130
  %5 = getelementptr inbounds nuw i8, ptr %4, i64 32
  %6 = getelementptr inbounds nuw i8, ptr %4, i64 64
  %7 = getelementptr inbounds nuw i8, ptr %4, i64 96
  %wide.load135 = load <4 x double>, ptr %4, align 8
  %wide.load136 = load <4 x double>, ptr %5, align 8
  %wide.load137 = load <4 x double>, ptr %6, align 8
  %wide.load138 = load <4 x double>, ptr %7, align 8
  %8 = getelementptr inbounds double, ptr %arg.col2, i64 %index130
  %9 = getelementptr inbounds nuw i8, ptr %8, i64 32
  %10 = getelementptr inbounds nuw i8, ptr %8, i64 64
  %11 = getelementptr inbounds nuw i8, ptr %8, i64 96
  %wide.load139 = load <4 x double>, ptr %8, align 8
  %wide.load140 = load <4 x double>, ptr %9, align 8
  %wide.load141 = load <4 x double>, ptr %10, align 8
  %wide.load142 = load <4 x double>, ptr %11, align 8
  %12 = fmul <4 x double> %wide.load135, %wide.load135
  %13 = fmul <4 x double> %wide.load136, %wide.load136
  %14 = fmul <4 x double> %wide.load137, %wide.load137
  %15 = fmul <4 x double> %wide.load138, %wide.load138
  %16 = fmul <4 x double> %wide.load139, %wide.load139
  %17 = fmul <4 x double> %wide.load140, %wide.load140
  %18 = fmul <4 x double> %wide.load141, %wide.load141
  %19 = fmul <4 x double> %wide.load142, %wide.load142
  %20 = fadd <4 x double> %12, %16
  %21 = fadd <4 x double> %13, %17
  %22 = fadd <4 x double> %14, %18
  %23 = fadd <4 x double> %15, %19
  %24 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %20), !noalias !2
  %25 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %21), !noalias !2
  %26 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %22), !noalias !2
  %27 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %23), !noalias !2
  %28 = fneg <4 x double> %wide.load135
  %29 = fneg <4 x double> %wide.load136
  %30 = fneg <4 x double> %wide.load137
  %31 = fneg <4 x double> %wide.load138
  %32 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %28), !noalias !2
  %33 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %29), !noalias !2
  %34 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %30), !noalias !2
  %35 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %31), !noalias !2
  %36 = fmul <4 x double> %32, %24
  %37 = fmul <4 x double> %33, %25
  %38 = fmul <4 x double> %34, %26
  %39 = fmul <4 x double> %35, %27
  %40 = getelementptr inbounds double, ptr %2, i64 %index130
  %41 = getelementptr inbounds nuw i8, ptr %40, i64 32
  %42 = getelementptr inbounds nuw i8, ptr %40, i64 64
  %43 = getelementptr inbounds nuw i8, ptr %40, i64 96
  store <4 x double> %36, ptr %40, align 8
  store <4 x double> %37, ptr %41, align 8
  store <4 x double> %38, ptr %42, align 8
  store <4 x double> %39, ptr %43, align 8
  %44 = bitcast <4 x double> %36 to <4 x i64>
  %45 = bitcast <4 x double> %37 to <4 x i64>
  %46 = bitcast <4 x double> %38 to <4 x i64>
  %47 = bitcast <4 x double> %39 to <4 x i64>
  %48 = icmp eq <4 x i64> %44, splat (i64 4503599627370496)
  %49 = icmp eq <4 x i64> %45, splat (i64 4503599627370496)
  %50 = icmp eq <4 x i64> %46, splat (i64 4503599627370496)
  %51 = icmp eq <4 x i64> %47, splat (i64 4503599627370496)
  %52 = zext <4 x i1> %48 to <4 x i64>
  %53 = zext <4 x i1> %49 to <4 x i64>
  %54 = zext <4 x i1> %50 to <4 x i64>
  %55 = zext <4 x i1> %51 to <4 x i64>
  %56 = add <4 x i64> %vec.phi131, %52
  %57 = add <4 x i64> %vec.phi132, %53
  %58 = add <4 x i64> %vec.phi133, %54
  %59 = add <4 x i64> %vec.phi134, %55
  %index.next143 = add nuw i64 %index130, 16
  %60 = icmp eq i64 %index.next143, %n.vec
  br i1 %60, label %middle.block144, label %vector.body129, !llvm.loop !5

middle.block144:                                  ; preds = %vector.body129
  %bin.rdx145 = add <4 x i64> %57, %56
  %bin.rdx146 = add <4 x i64> %58, %bin.rdx145
  %bin.rdx147 = add <4 x i64> %59, %bin.rdx146
  %61 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx147)
  %cmp.n = icmp eq i64 %0, %n.vec
  br i1 %cmp.n, label %common.ret, label %vec.epilog.iter.check

vec.epilog.iter.check:                            ; preds = %middle.block144
  %min.epilog.iters.check = icmp eq i64 %n.mod.vf, 0
  br i1 %min.epilog.iters.check, label %loop.preheader, label %vec.epilog.ph, !prof !8

vec.epilog.ph:                                    ; preds = %vector.main.loop.iter.check, %vec.epilog.iter.check
  %vec.epilog.resume.val = phi i64 [ %n.vec, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %bc.merge.rdx = phi i64 [ %61, %vec.epilog.iter.check ], [ 0, %vector.main.loop.iter.check ]
  %n.vec149 = and i64 %0, -4
  %62 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %bc.merge.rdx, i64 0
  br label %vec.epilog.vector.body

vec.epilog.vector.body:                           ; preds = %vec.epilog.vector.body, %vec.epilog.ph
  %index150 = phi i64 [ %vec.epilog.resume.val, %vec.epilog.ph ], [ %index.next154, %vec.epilog.vector.body ]
  %vec.phi151 = phi <4 x i64> [ %62, %vec.epilog.ph ], [ %76, %vec.epilog.vector.body ]
  %63 = getelementptr inbounds double, ptr %arg.col, i64 %index150
  %wide.load152 = load <4 x double>, ptr %63, align 8
  %64 = getelementptr inbounds double, ptr %arg.col2, i64 %index150
  %wide.load153 = load <4 x double>, ptr %64, align 8
  %65 = fmul <4 x double> %wide.load152, %wide.load152
  %66 = fmul <4 x double> %wide.load153, %wide.load153
  %67 = fadd <4 x double> %65, %66
  %68 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %67), !noalias !2
  %69 = fneg <4 x double> %wide.load152
  %70 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %69), !noalias !2
  %71 = fmul <4 x double> %70, %68
  %72 = getelementptr inbounds double, ptr %2, i64 %index150
  store <4 x double> %71, ptr %72, align 8
  %73 = bitcast <4 x double> %71 to <4 x i64>
  %74 = icmp eq <4 x i64> %73, splat (i64 4503599627370496)
  %75 = zext <4 x i1> %74 to <4 x i64>
  %76 = add <4 x i64> %vec.phi151, %75
  %index.next154 = add nuw i64 %index150, 4
  %77 = icmp eq i64 %index.next154, %n.vec149
  br i1 %77, label %vec.epilog.middle.block, label %vec.epilog.vector.body, !llvm.loop !9

vec.epilog.middle.block:                          ; preds = %vec.epilog.vector.body
  %78 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %76)
  %cmp.n155 = icmp eq i64 %0, %n.vec149
  br i1 %cmp.n155, label %common.ret, label %loop.preheader

loop.preheader:                                   ; preds = %iter.check, %vec.epilog.iter.check, %vec.epilog.middle.block
  %i.ph = phi i64 [ 0, %iter.check ], [ %n.vec, %vec.epilog.iter.check ], [ %n.vec149, %vec.epilog.middle.block ]
  %hits.acc.ph = phi i64 [ 0, %iter.check ], [ %61, %vec.epilog.iter.check ], [ %78, %vec.epilog.middle.block ]
  br label %loop

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any7.not = icmp eq i64 %words, 0
  br i1 %loop.any7.not, label %loop.exit6, label %loop5

loop:                                             ; preds = %loop.preheader, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader ]
  %a.p = getelementptr inbounds double, ptr %arg.col, i64 %i
  %a = load double, ptr %a.p, align 8
  %a.p3 = getelementptr inbounds double, ptr %arg.col2, i64 %i
  %a4 = load double, ptr %a.p3, align 8
  %.6.i.i95 = fmul double %a, %a
  %.7.i.i96 = fmul double %a4, %a4
  %.8.i.i97 = fadd double %.6.i.i95, %.7.i.i96
  %.9.i.i98 = tail call double @llvm.sqrt.f64(double %.8.i.i97), !noalias !2
  %.10.i.i99 = fneg double %a
  %.11.i.i100 = tail call double @llvm.exp.f64(double %.10.i.i99), !noalias !2
  %.12.i.i101 = fmul double %.11.i.i100, %.9.i.i98
  %o.p = getelementptr inbounds double, ptr %2, i64 %i
  store double %.12.i.i101, ptr %o.p, align 8
  %r.bits = bitcast double %.12.i.i101 to i64
  %r.null = icmp eq i64 %r.bits, 4503599627370496
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond108.not = icmp eq i64 %i.next, %0
  br i1 %exitcond108.not, label %common.ret, label %loop, !llvm.loop !10

common.ret:                                       ; preds = %row.join65, %loop, %middle.block144, %vec.epilog.middle.block, %loop.exit6, %dense
  %common.ret.op = phi i64 [ %hits, %loop ], [ 0, %dense ], [ %hits.out49, %loop.exit6 ], [ %78, %vec.epilog.middle.block ], [ %61, %middle.block144 ], [ %hits77, %row.join65 ]
  ret i64 %common.ret.op

loop5:                                            ; preds = %masked, %word.join
  %indvars.iv = phi i64 [ %indvars.iv.next, %word.join ], [ 64, %masked ]
  %i8 = phi i64 [ %i.next47, %word.join ], [ 0, %masked ]
  %hits.acc9 = phi i64 [ %w.hits, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i8, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i8, 6
  switch i64 %w.bits, label %loop28 [
    i64 -1, label %vector.ph
    i64 0, label %word.empty
  ]

vector.ph:                                        ; preds = %loop5
  %79 = insertelement <4 x i64> <i64 poison, i64 0, i64 0, i64 0>, i64 %hits.acc9, i64 0
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %vector.ph
  %index = phi i64 [ 0, %vector.ph ], [ %index.next, %vector.body ]
  %vec.phi = phi <4 x i64> [ %79, %vector.ph ], [ %132, %vector.body ]
  %vec.phi114 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %133, %vector.body ]
  %vec.phi115 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %134, %vector.body ]
  %vec.phi116 = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %135, %vector.body ]
  %offset.idx = add i64 %w.lo, %index
  %80 = getelementptr inbounds double, ptr %arg.col, i64 %offset.idx
  %81 = getelementptr inbounds nuw i8, ptr %80, i64 32
  %82 = getelementptr inbounds nuw i8, ptr %80, i64 64
  %83 = getelementptr inbounds nuw i8, ptr %80, i64 96
  %wide.load = load <4 x double>, ptr %80, align 8
  %wide.load117 = load <4 x double>, ptr %81, align 8
  %wide.load118 = load <4 x double>, ptr %82, align 8
  %wide.load119 = load <4 x double>, ptr %83, align 8
  %84 = getelementptr inbounds double, ptr %arg.col2, i64 %offset.idx
  %85 = getelementptr inbounds nuw i8, ptr %84, i64 32
  %86 = getelementptr inbounds nuw i8, ptr %84, i64 64
  %87 = getelementptr inbounds nuw i8, ptr %84, i64 96
  %wide.load120 = load <4 x double>, ptr %84, align 8
  %wide.load121 = load <4 x double>, ptr %85, align 8
  %wide.load122 = load <4 x double>, ptr %86, align 8
  %wide.load123 = load <4 x double>, ptr %87, align 8
  %88 = fmul <4 x double> %wide.load, %wide.load
  %89 = fmul <4 x double> %wide.load117, %wide.load117
  %90 = fmul <4 x double> %wide.load118, %wide.load118
  %91 = fmul <4 x double> %wide.load119, %wide.load119
  %92 = fmul <4 x double> %wide.load120, %wide.load120
  %93 = fmul <4 x double> %wide.load121, %wide.load121
  %94 = fmul <4 x double> %wide.load122, %wide.load122
  %95 = fmul <4 x double> %wide.load123, %wide.load123
  %96 = fadd <4 x double> %88, %92
  %97 = fadd <4 x double> %89, %93
  %98 = fadd <4 x double> %90, %94
  %99 = fadd <4 x double> %91, %95
  %100 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %96), !noalias !11
  %101 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %97), !noalias !11
  %102 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %98), !noalias !11
  %103 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %99), !noalias !11
  %104 = fneg <4 x double> %wide.load
  %105 = fneg <4 x double> %wide.load117
  %106 = fneg <4 x double> %wide.load118
  %107 = fneg <4 x double> %wide.load119
  %108 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %104), !noalias !11
  %109 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %105), !noalias !11
  %110 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %106), !noalias !11
  %111 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %107), !noalias !11
  %112 = fmul <4 x double> %108, %100
  %113 = fmul <4 x double> %109, %101
  %114 = fmul <4 x double> %110, %102
  %115 = fmul <4 x double> %111, %103
  %116 = getelementptr inbounds double, ptr %2, i64 %offset.idx
  %117 = getelementptr inbounds nuw i8, ptr %116, i64 32
  %118 = getelementptr inbounds nuw i8, ptr %116, i64 64
  %119 = getelementptr inbounds nuw i8, ptr %116, i64 96
  store <4 x double> %112, ptr %116, align 8
  store <4 x double> %113, ptr %117, align 8
  store <4 x double> %114, ptr %118, align 8
  store <4 x double> %115, ptr %119, align 8
  %120 = bitcast <4 x double> %112 to <4 x i64>
  %121 = bitcast <4 x double> %113 to <4 x i64>
  %122 = bitcast <4 x double> %114 to <4 x i64>
  %123 = bitcast <4 x double> %115 to <4 x i64>
  %124 = icmp eq <4 x i64> %120, splat (i64 4503599627370496)
  %125 = icmp eq <4 x i64> %121, splat (i64 4503599627370496)
  %126 = icmp eq <4 x i64> %122, splat (i64 4503599627370496)
  %127 = icmp eq <4 x i64> %123, splat (i64 4503599627370496)
  %128 = zext <4 x i1> %124 to <4 x i64>
  %129 = zext <4 x i1> %125 to <4 x i64>
  %130 = zext <4 x i1> %126 to <4 x i64>
  %131 = zext <4 x i1> %127 to <4 x i64>
  %132 = add <4 x i64> %vec.phi, %128
  %133 = add <4 x i64> %vec.phi114, %129
  %134 = add <4 x i64> %vec.phi115, %130
  %135 = add <4 x i64> %vec.phi116, %131
  %index.next = add nuw i64 %index, 16
  %136 = icmp eq i64 %index.next, 64
  br i1 %136, label %word.join.loopexit113, label %vector.body, !llvm.loop !14

loop.exit6:                                       ; preds = %word.join, %masked
  %hits.out49 = phi i64 [ 0, %masked ], [ %w.hits, %word.join ]
  %tail.lo = and i64 %0, -64
  %loop.any52.not = icmp eq i64 %tail.lo, %0
  br i1 %loop.any52.not, label %common.ret, label %loop50

word.empty:                                       ; preds = %loop5
  %z.p = getelementptr inbounds double, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.join

word.join.loopexit113:                            ; preds = %vector.body
  %bin.rdx = add <4 x i64> %133, %132
  %bin.rdx124 = add <4 x i64> %134, %bin.rdx
  %bin.rdx125 = add <4 x i64> %135, %bin.rdx124
  %137 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %bin.rdx125)
  br label %word.join

word.join:                                        ; preds = %row.join.1, %word.join.loopexit113, %word.empty
  %w.hits = phi i64 [ %137, %word.join.loopexit113 ], [ %hits.acc9, %word.empty ], [ %hits43.1, %row.join.1 ]
  %i.next47 = add nuw nsw i64 %i8, 1
  %indvars.iv.next = add i64 %indvars.iv, 64
  %exitcond107.not = icmp eq i64 %i.next47, %words
  br i1 %exitcond107.not, label %loop.exit6, label %loop5

loop28:                                           ; preds = %loop5, %row.join.1
  %i31 = phi i64 [ %i.next44.1, %row.join.1 ], [ %w.lo, %loop5 ]
  %hits.acc32 = phi i64 [ %hits43.1, %row.join.1 ], [ %hits.acc9, %loop5 ]
  %byte.i = lshr i64 %i31, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %138 = trunc i64 %i31 to i8
  %bit.i8 = and i8 %138, 6
  %139 = shl nuw nsw i8 1, %bit.i8
  %140 = and i8 %139, %byte
  %valid.not = icmp eq i8 %140, 0
  br i1 %valid.not, label %row.join, label %row.valid

row.valid:                                        ; preds = %loop28
  %a.p33 = getelementptr inbounds double, ptr %arg.col, i64 %i31
  %a34 = load double, ptr %a.p33, align 8
  %a.p35 = getelementptr inbounds double, ptr %arg.col2, i64 %i31
  %a36 = load double, ptr %a.p35, align 8
  %.6.i.i81 = fmul double %a34, %a34
  %.7.i.i82 = fmul double %a36, %a36
  %.8.i.i83 = fadd double %.6.i.i81, %.7.i.i82
  %.9.i.i84 = tail call double @llvm.sqrt.f64(double %.8.i.i83), !noalias !15
  %.10.i.i85 = fneg double %a34
  %.11.i.i86 = tail call double @llvm.exp.f64(double %.10.i.i85), !noalias !15
  %.12.i.i87 = fmul double %.11.i.i86, %.9.i.i84
  %r.bits39 = bitcast double %.12.i.i87 to i64
  %r.null40 = icmp eq i64 %r.bits39, 4503599627370496
  %r.null6441 = zext i1 %r.null40 to i64
  br label %row.join

row.join:                                         ; preds = %loop28, %row.valid
  %.12.i.i87.sink = phi double [ %.12.i.i87, %row.valid ], [ 0.000000e+00, %loop28 ]
  %hit = phi i64 [ %r.null6441, %row.valid ], [ 0, %loop28 ]
  %141 = getelementptr inbounds double, ptr %2, i64 %i31
  store double %.12.i.i87.sink, ptr %141, align 8
  %hits43 = add i64 %hit, %hits.acc32
  %i.next44 = or disjoint i64 %i31, 1
  %142 = trunc i64 %i.next44 to i8
  %bit.i8.1 = and i8 %142, 7
  %143 = shl nuw i8 1, %bit.i8.1
  %144 = and i8 %143, %byte
  %valid.not.1 = icmp eq i8 %144, 0
  br i1 %valid.not.1, label %row.join.1, label %row.valid.1

row.valid.1:                                      ; preds = %row.join
  %a.p33.1 = getelementptr inbounds double, ptr %arg.col, i64 %i.next44
  %a34.1 = load double, ptr %a.p33.1, align 8
  %a.p35.1 = getelementptr inbounds double, ptr %arg.col2, i64 %i.next44
  %a36.1 = load double, ptr %a.p35.1, align 8
  %.6.i.i81.1 = fmul double %a34.1, %a34.1
  %.7.i.i82.1 = fmul double %a36.1, %a36.1
  %.8.i.i83.1 = fadd double %.6.i.i81.1, %.7.i.i82.1
  %.9.i.i84.1 = tail call double @llvm.sqrt.f64(double %.8.i.i83.1), !noalias !15
  %.10.i.i85.1 = fneg double %a34.1
  %.11.i.i86.1 = tail call double @llvm.exp.f64(double %.10.i.i85.1), !noalias !15
  %.12.i.i87.1 = fmul double %.11.i.i86.1, %.9.i.i84.1
  %r.bits39.1 = bitcast double %.12.i.i87.1 to i64
  %r.null40.1 = icmp eq i64 %r.bits39.1, 4503599627370496
  %r.null6441.1 = zext i1 %r.null40.1 to i64
  br label %row.join.1

row.join.1:                                       ; preds = %row.valid.1, %row.join
  %.12.i.i87.sink.1 = phi double [ %.12.i.i87.1, %row.valid.1 ], [ 0.000000e+00, %row.join ]
  %hit.1 = phi i64 [ %r.null6441.1, %row.valid.1 ], [ 0, %row.join ]
  %145 = getelementptr inbounds double, ptr %2, i64 %i.next44
  store double %.12.i.i87.sink.1, ptr %145, align 8
  %hits43.1 = add i64 %hit.1, %hits43
  %i.next44.1 = add nuw i64 %i31, 2
  %exitcond106.not.1 = icmp eq i64 %i.next44.1, %indvars.iv
  br i1 %exitcond106.not.1, label %word.join, label %loop28

loop50:                                           ; preds = %loop.exit6, %row.join65
  %i53 = phi i64 [ %i.next78, %row.join65 ], [ %tail.lo, %loop.exit6 ]
  %hits.acc54 = phi i64 [ %hits77, %row.join65 ], [ %hits.out49, %loop.exit6 ]
  %byte.i55 = lshr i64 %i53, 3
  %byte.p56 = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i55
  %byte57 = load i8, ptr %byte.p56, align 1
  %146 = trunc i64 %i53 to i8
  %bit.i859 = and i8 %146, 7
  %147 = shl nuw i8 1, %bit.i859
  %148 = and i8 %147, %byte57
  %valid62.not = icmp eq i8 %148, 0
  br i1 %valid62.not, label %row.join65, label %row.valid63

row.valid63:                                      ; preds = %loop50
  %a.p66 = getelementptr inbounds double, ptr %arg.col, i64 %i53
  %a67 = load double, ptr %a.p66, align 8
  %a.p68 = getelementptr inbounds double, ptr %arg.col2, i64 %i53
  %a69 = load double, ptr %a.p68, align 8
  %.6.i.i = fmul double %a67, %a67
  %.7.i.i = fmul double %a69, %a69
  %.8.i.i = fadd double %.6.i.i, %.7.i.i
  %.9.i.i = tail call double @llvm.sqrt.f64(double %.8.i.i), !noalias !18
  %.10.i.i = fneg double %a67
  %.11.i.i = tail call double @llvm.exp.f64(double %.10.i.i), !noalias !18
  %.12.i.i = fmul double %.11.i.i, %.9.i.i
  %r.bits72 = bitcast double %.12.i.i to i64
  %r.null73 = icmp eq i64 %r.bits72, 4503599627370496
  %r.null6474 = zext i1 %r.null73 to i64
  br label %row.join65

row.join65:                                       ; preds = %loop50, %row.valid63
  %.12.i.i.sink = phi double [ %.12.i.i, %row.valid63 ], [ 0.000000e+00, %loop50 ]
  %hit76 = phi i64 [ %r.null6474, %row.valid63 ], [ 0, %loop50 ]
  %149 = getelementptr inbounds double, ptr %2, i64 %i53
  store double %.12.i.i.sink, ptr %149, align 8
  %hits77 = add i64 %hit76, %hits.acc54
  %i.next78 = add nuw i64 %i53, 1
  %loop.more79 = icmp ult i64 %i.next78, %0
  br i1 %loop.more79, label %loop50, label %common.ret
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #2

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare <4 x double> @llvm.sqrt.v4f64(<4 x double>) #3

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>) #4

declare <4 x double> @_ZGVdN4v_exp(<4 x double>)

attributes #0 = { mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #1 = { nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #3 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #4 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = !{!3}
!3 = distinct !{!3, !4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!4 = distinct !{!4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
!5 = distinct !{!5, !6, !7}
!6 = !{!"llvm.loop.isvectorized", i32 1}
!7 = !{!"llvm.loop.unroll.runtime.disable"}
!8 = !{!"branch_weights", i32 4, i32 12}
!9 = distinct !{!9, !6, !7}
!10 = distinct !{!10, !7, !6}
!11 = !{!12}
!12 = distinct !{!12, !13, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!13 = distinct !{!13, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
!14 = distinct !{!14, !6, !7}
!15 = !{!16}
!16 = distinct !{!16, !17, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!17 = distinct !{!17, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
!18 = !{!19}
!19 = distinct !{!19, !20, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!20 = distinct !{!20, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
