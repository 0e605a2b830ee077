; ModuleID = 'udf.ll'
source_filename = "<string>"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.sqrt.f64(double) #0

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.exp.f64(double) #0

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0.dense(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4) unnamed_addr #1 {
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
  %vec.phi = phi <4 x i64> [ zeroinitializer, %vector.ph ], [ %20, %vector.body ]
  %offset.idx = add i64 %0, %index
  %7 = getelementptr inbounds double, ptr %2, i64 %offset.idx
  %wide.load = load <4 x double>, ptr %7, align 8
  %8 = getelementptr inbounds double, ptr %3, i64 %offset.idx
  %wide.load2 = load <4 x double>, ptr %8, align 8
  %9 = fmul <4 x double> %wide.load, %wide.load
  %10 = fmul <4 x double> %wide.load2, %wide.load2
  %11 = fadd <4 x double> %9, %10
  %12 = tail call <4 x double> @llvm.sqrt.v4f64(<4 x double> %11)
  %13 = fneg <4 x double> %wide.load
  %14 = tail call <4 x double> @_ZGVdN4v_exp(<4 x double> %13), !noalias !2
  %15 = fmul <4 x double> %14, %12
  %16 = getelementptr inbounds double, ptr %4, i64 %offset.idx
  store <4 x double> %15, ptr %16, align 8
  %17 = bitcast <4 x double> %15 to <4 x i64>
  %18 = icmp eq <4 x i64> %17, splat (i64 4503599627370496)
  %19 = zext <4 x i1> %18 to <4 x i64>
  %20 = add <4 x i64> %vec.phi, %19
  %index.next = add nuw i64 %index, 4
  %21 = icmp eq i64 %index.next, %n.vec
  br i1 %21, label %middle.block, label %vector.body, !llvm.loop !5

middle.block:                                     ; preds = %vector.body
  %22 = tail call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %20)
  %cmp.n = icmp eq i64 %5, %n.vec
  br i1 %cmp.n, label %loop.exit, label %loop.preheader3

loop.preheader3:                                  ; preds = %loop.preheader, %middle.block
  %i.ph = phi i64 [ %0, %loop.preheader ], [ %6, %middle.block ]
  %hits.acc.ph = phi i64 [ 0, %loop.preheader ], [ %22, %middle.block ]
  br label %loop

loop:                                             ; preds = %loop.preheader3, %loop
  %i = phi i64 [ %i.next, %loop ], [ %i.ph, %loop.preheader3 ]
  %hits.acc = phi i64 [ %hits, %loop ], [ %hits.acc.ph, %loop.preheader3 ]
  %a.p = getelementptr inbounds double, ptr %2, i64 %i
  %a = load double, ptr %a.p, align 8
  %a.p1 = getelementptr inbounds double, ptr %3, i64 %i
  %a2 = load double, ptr %a.p1, align 8
  %.6.i.i = fmul double %a, %a
  %.7.i.i = fmul double %a2, %a2
  %.8.i.i = fadd double %.6.i.i, %.7.i.i
  %sqrt.i.i = tail call double @llvm.sqrt.f64(double %.8.i.i)
  %.10.i.i = fneg double %a
  %.11.i.i = tail call double @llvm.exp.f64(double %.10.i.i), !noalias !2
  %.12.i.i = fmul double %.11.i.i, %sqrt.i.i
  %o.p = getelementptr inbounds double, ptr %4, i64 %i
  store double %.12.i.i, ptr %o.p, align 8
  %r.bits = bitcast double %.12.i.i to i64
  %r.null = icmp eq i64 %r.bits, 4503599627370496
  %r.null64 = zext i1 %r.null to i64
  %hits = add i64 %hits.acc, %r.null64
  %i.next = add nuw i64 %i, 1
  %exitcond.not = icmp eq i64 %i.next, %1
  br i1 %exitcond.not, label %loop.exit, label %loop, !llvm.loop !8

loop.exit:                                        ; preds = %loop, %middle.block, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %22, %middle.block ], [ %hits, %loop ]
  ret i64 %hits.out
}

; Function Attrs: nofree noinline norecurse nosync nounwind memory(argmem: readwrite)
define internal fastcc i64 @udf_kernel_0.checked(i64 range(i64 0, -63) %0, i64 %1, ptr noalias readonly captures(none) %2, ptr noalias readonly captures(none) %3, ptr noalias writeonly captures(none) %4, ptr noalias nonnull readonly captures(none) %5) unnamed_addr #1 {
entry:
  %loop.any = icmp ult i64 %0, %1
  br i1 %loop.any, label %loop.preheader, label %loop.exit

loop.preheader:                                   ; preds = %entry
  %6 = sub nuw i64 %1, %0
  %.neg = add nuw i64 %0, 1
  %xtraiter = and i64 %6, 1
  %7 = icmp eq i64 %1, %.neg
  br i1 %7, label %loop.epil.preheader, label %loop.preheader.new

loop.preheader.new:                               ; preds = %loop.preheader
  %unroll_iter = and i64 %6, -2
  br label %loop

loop:                                             ; preds = %row.join.1, %loop.preheader.new
  %i = phi i64 [ %0, %loop.preheader.new ], [ %i.next.1, %row.join.1 ]
  %hits.acc = phi i64 [ 0, %loop.preheader.new ], [ %hits.1, %row.join.1 ]
  %niter = phi i64 [ 0, %loop.preheader.new ], [ %niter.next.1, %row.join.1 ]
  %byte.i = lshr i64 %i, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %5, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %8 = trunc i64 %i to i8
  %bit.i8 = and i8 %8, 7
  %9 = shl nuw i8 1, %bit.i8
  %10 = and i8 %9, %byte
  %valid.not = icmp eq i8 %10, 0
  br i1 %valid.not, label %row.join, label %row.valid

loop.exit.loopexit.unr-lcssa:                     ; preds = %row.join.1
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %loop.exit, label %loop.epil.preheader

loop.epil.preheader:                              ; preds = %loop.exit.loopexit.unr-lcssa, %loop.preheader
  %i.epil.init = phi i64 [ %0, %loop.preheader ], [ %i.next.1, %loop.exit.loopexit.unr-lcssa ]
  %hits.acc.epil.init = phi i64 [ 0, %loop.preheader ], [ %hits.1, %loop.exit.loopexit.unr-lcssa ]
  %lcmp.mod3 = icmp ne i64 %xtraiter, 0
  tail call void @llvm.assume(i1 %lcmp.mod3)
  %byte.i.epil = lshr i64 %i.epil.init, 3
  %byte.p.epil = getelementptr inbounds nuw i8, ptr %5, i64 %byte.i.epil
  %byte.epil = load i8, ptr %byte.p.epil, align 1
  %11 = trunc i64 %i.epil.init to i8
  %bit.i8.epil = and i8 %11, 7
  %12 = shl nuw i8 1, %bit.i8.epil
  %13 = and i8 %12, %byte.epil
  %valid.not.epil = icmp eq i8 %13, 0
  br i1 %valid.not.epil, label %row.join.epil, label %row.valid.epil

row.valid.epil:                                   ; preds = %loop.epil.preheader
  %a.p.epil = getelementptr inbounds double, ptr %2, i64 %i.epil.init
  %a.epil = load double, ptr %a.p.epil, align 8
  %a.p1.epil = getelementptr inbounds double, ptr %3, i64 %i.epil.init
  %a2.epil = load double, ptr %a.p1.epil, align 8
  %.6.i.i.epil = fmul double %a.epil, %a.epil
  %.7.i.i.epil = fmul double %a2.epil, %a2.epil
  %.8.i.i.epil = fadd double %.6.i.i.epil, %.7.i.i.epil
  %sqrt.i.i.epil = tail call double @llvm.sqrt.f64(double %.8.i.i.epil)
  %.10.i.i.epil = fneg double %a.epil
  %.11.i.i.epil = tail call double @llvm.exp.f64(double %.10.i.i.epil), !noalias !9
  %.12.i.i.epil = fmul double %.11.i.i.epil, %sqrt.i.i.epil
  %r.bits.epil = bitcast double %.12.i.i.epil to i64
  %r.null.epil = icmp eq i64 %r.bits.epil, 4503599627370496
  %r.null64.epil = zext i1 %r.null.epil to i64
  br label %row.join.epil

row.join.epil:                                    ; preds = %row.valid.epil, %loop.epil.preheader
  %.12.i.i.sink.epil = phi double [ %.12.i.i.epil, %row.valid.epil ], [ 0.000000e+00, %loop.epil.preheader ]
  %hit.epil = phi i64 [ %r.null64.epil, %row.valid.epil ], [ 0, %loop.epil.preheader ]
  %14 = getelementptr inbounds double, ptr %4, i64 %i.epil.init
  store double %.12.i.i.sink.epil, ptr %14, align 8
  %hits.epil = add i64 %hit.epil, %hits.acc.epil.init
  br label %loop.exit

loop.exit:                                        ; preds = %row.join.epil, %loop.exit.loopexit.unr-lcssa, %entry
  %hits.out = phi i64 [ 0, %entry ], [ %hits.1, %loop.exit.loopexit.unr-lcssa ], [ %hits.epil, %row.join.epil ]
  ret i64 %hits.out

row.valid:                                        ; preds = %loop
  %a.p = getelementptr inbounds double, ptr %2, i64 %i
  %a = load double, ptr %a.p, align 8
  %a.p1 = getelementptr inbounds double, ptr %3, i64 %i
  %a2 = load double, ptr %a.p1, align 8
  %.6.i.i = fmul double %a, %a
  %.7.i.i = fmul double %a2, %a2
  %.8.i.i = fadd double %.6.i.i, %.7.i.i
  %sqrt.i.i = tail call double @llvm.sqrt.f64(double %.8.i.i)
  %.10.i.i = fneg double %a
  %.11.i.i = tail call double @llvm.exp.f64(double %.10.i.i), !noalias !9
  %.12.i.i = fmul double %.11.i.i, %sqrt.i.i
  %r.bits = bitcast double %.12.i.i to i64
  %r.null = icmp eq i64 %r.bits, 4503599627370496
  %r.null64 = zext i1 %r.null to i64
  br label %row.join

row.join:                                         ; preds = %loop, %row.valid
  %.12.i.i.sink = phi double [ %.12.i.i, %row.valid ], [ 0.000000e+00, %loop ]
  %hit = phi i64 [ %r.null64, %row.valid ], [ 0, %loop ]
  %15 = getelementptr inbounds double, ptr %4, i64 %i
  store double %.12.i.i.sink, ptr %15, align 8
  %hits = add i64 %hit, %hits.acc
  %i.next = add nuw i64 %i, 1
  %byte.i.1 = lshr i64 %i.next, 3
  %byte.p.1 = getelementptr inbounds nuw i8, ptr %5, i64 %byte.i.1
  %byte.1 = load i8, ptr %byte.p.1, align 1
  %16 = trunc i64 %i.next to i8
  %bit.i8.1 = and i8 %16, 7
  %17 = shl nuw i8 1, %bit.i8.1
  %18 = and i8 %17, %byte.1
  %valid.not.1 = icmp eq i8 %18, 0
  br i1 %valid.not.1, label %row.join.1, label %row.valid.1

row.valid.1:                                      ; preds = %row.join
  %a.p.1 = getelementptr inbounds double, ptr %2, i64 %i.next
  %a.1 = load double, ptr %a.p.1, align 8
  %a.p1.1 = getelementptr inbounds double, ptr %3, i64 %i.next
  %a2.1 = load double, ptr %a.p1.1, align 8
  %.6.i.i.1 = fmul double %a.1, %a.1
  %.7.i.i.1 = fmul double %a2.1, %a2.1
  %.8.i.i.1 = fadd double %.6.i.i.1, %.7.i.i.1
  %sqrt.i.i.1 = tail call double @llvm.sqrt.f64(double %.8.i.i.1)
  %.10.i.i.1 = fneg double %a.1
  %.11.i.i.1 = tail call double @llvm.exp.f64(double %.10.i.i.1), !noalias !9
  %.12.i.i.1 = fmul double %.11.i.i.1, %sqrt.i.i.1
  %r.bits.1 = bitcast double %.12.i.i.1 to i64
  %r.null.1 = icmp eq i64 %r.bits.1, 4503599627370496
  %r.null64.1 = zext i1 %r.null.1 to i64
  br label %row.join.1

row.join.1:                                       ; preds = %row.valid.1, %row.join
  %.12.i.i.sink.1 = phi double [ %.12.i.i.1, %row.valid.1 ], [ 0.000000e+00, %row.join ]
  %hit.1 = phi i64 [ %r.null64.1, %row.valid.1 ], [ 0, %row.join ]
  %19 = getelementptr inbounds double, ptr %4, i64 %i.next
  store double %.12.i.i.sink.1, ptr %19, align 8
  %hits.1 = add i64 %hit.1, %hits
  %i.next.1 = add nuw i64 %i, 2
  %niter.next.1 = add i64 %niter, 2
  %niter.ncmp.1 = icmp eq i64 %niter.next.1, %unroll_iter
  br i1 %niter.ncmp.1, label %loop.exit.loopexit.unr-lcssa, label %loop
}

; Function Attrs: nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none)
define i64 @udf_kernel_0(i64 %0, ptr noalias readonly captures(none) %1, ptr noalias writeonly captures(none) %2, ptr noalias readonly captures(address_is_null) %3, ptr readnone captures(none) %4) local_unnamed_addr #2 {
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
  %z.p = getelementptr inbounds double, ptr %2, i64 %w.lo
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
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #3

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare <4 x double> @llvm.sqrt.v4f64(<4 x double>) #4

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>) #5

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write)
declare void @llvm.assume(i1 noundef) #6

declare <4 x double> @_ZGVdN4v_exp(<4 x double>)

attributes #0 = { mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #1 = { nofree noinline norecurse nosync nounwind memory(argmem: readwrite) "probe-stack"="inline-asm" }
attributes #2 = { nofree norecurse nosync nounwind memory(readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) "probe-stack"="inline-asm" }
attributes #3 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #4 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #5 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }
attributes #6 = { nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = !{!3}
!3 = distinct !{!3, !4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!4 = distinct !{!4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
!5 = distinct !{!5, !6, !7}
!6 = !{!"llvm.loop.isvectorized", i32 1}
!7 = !{!"llvm.loop.unroll.runtime.disable"}
!8 = distinct !{!8, !7, !6}
!9 = !{!10}
!10 = distinct !{!10, !11, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!11 = distinct !{!11, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
