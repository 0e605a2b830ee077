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
  br i1 %loop.any.not, label %common.ret, label %loop.preheader

loop.preheader:                                   ; preds = %dense
  %xtraiter = and i64 %0, 1
  %4 = icmp eq i64 %0, 1
  br i1 %4, label %loop.epil.preheader, label %loop.preheader.new

loop.preheader.new:                               ; preds = %loop.preheader
  %unroll_iter = and i64 %0, -2
  br label %loop

masked:                                           ; preds = %entry
  %words = lshr i64 %0, 6
  %loop.any3.not = icmp eq i64 %words, 0
  br i1 %loop.any3.not, label %loop.exit2, label %loop1

loop:                                             ; preds = %collatz_steps_lalA.exit106.1, %loop.preheader.new
  %i = phi i64 [ 0, %loop.preheader.new ], [ %i.next.1, %collatz_steps_lalA.exit106.1 ]
  %niter = phi i64 [ 0, %loop.preheader.new ], [ %niter.next.1, %collatz_steps_lalA.exit106.1 ]
  %a.p = getelementptr inbounds i64, ptr %arg.col, i64 %i
  %a = load i64, ptr %a.p, align 8
  %.14.not.i.i94 = icmp eq i64 %a, 1
  br i1 %.14.not.i.i94, label %collatz_steps_lalA.exit106, label %B20.else.if.i.i95

B20.else.if.i.i95:                                ; preds = %loop, %B20.else.if.i.i95
  %n.3.0.i.i96 = phi i64 [ %n.4.1.i.i102, %B20.else.if.i.i95 ], [ %a, %loop ]
  %steps.2.0.i.i97 = phi i64 [ %.129.i.i103, %B20.else.if.i.i95 ], [ 0, %loop ]
  %5 = and i64 %n.3.0.i.i96, 1
  %.66.i.i98 = icmp eq i64 %5, 0
  %.118.i.i99 = mul nsw i64 %n.3.0.i.i96, 3
  %.121.i.i100 = add nsw i64 %.118.i.i99, 1
  %.89.i.i101 = ashr exact i64 %n.3.0.i.i96, 1
  %n.4.1.i.i102 = select i1 %.66.i.i98, i64 %.89.i.i101, i64 %.121.i.i100
  %.129.i.i103 = add nuw nsw i64 %steps.2.0.i.i97, 1
  %.135.not.i.i104 = icmp eq i64 %n.4.1.i.i102, 1
  br i1 %.135.not.i.i104, label %collatz_steps_lalA.exit106, label %B20.else.if.i.i95

collatz_steps_lalA.exit106:                       ; preds = %B20.else.if.i.i95, %loop
  %steps.3.1.i.i105 = phi i64 [ 0, %loop ], [ %.129.i.i103, %B20.else.if.i.i95 ]
  %o.p = getelementptr inbounds i64, ptr %2, i64 %i
  store i64 %steps.3.1.i.i105, ptr %o.p, align 8
  %i.next = or disjoint i64 %i, 1
  %a.p.1 = getelementptr inbounds i64, ptr %arg.col, i64 %i.next
  %a.1 = load i64, ptr %a.p.1, align 8
  %.14.not.i.i94.1 = icmp eq i64 %a.1, 1
  br i1 %.14.not.i.i94.1, label %collatz_steps_lalA.exit106.1, label %B20.else.if.i.i95.1

B20.else.if.i.i95.1:                              ; preds = %collatz_steps_lalA.exit106, %B20.else.if.i.i95.1
  %n.3.0.i.i96.1 = phi i64 [ %n.4.1.i.i102.1, %B20.else.if.i.i95.1 ], [ %a.1, %collatz_steps_lalA.exit106 ]
  %steps.2.0.i.i97.1 = phi i64 [ %.129.i.i103.1, %B20.else.if.i.i95.1 ], [ 0, %collatz_steps_lalA.exit106 ]
  %6 = and i64 %n.3.0.i.i96.1, 1
  %.66.i.i98.1 = icmp eq i64 %6, 0
  %.118.i.i99.1 = mul nsw i64 %n.3.0.i.i96.1, 3
  %.121.i.i100.1 = add nsw i64 %.118.i.i99.1, 1
  %.89.i.i101.1 = ashr exact i64 %n.3.0.i.i96.1, 1
  %n.4.1.i.i102.1 = select i1 %.66.i.i98.1, i64 %.89.i.i101.1, i64 %.121.i.i100.1
  %.129.i.i103.1 = add nuw nsw i64 %steps.2.0.i.i97.1, 1
  %.135.not.i.i104.1 = icmp eq i64 %n.4.1.i.i102.1, 1
  br i1 %.135.not.i.i104.1, label %collatz_steps_lalA.exit106.1, label %B20.else.if.i.i95.1

collatz_steps_lalA.exit106.1:                     ; preds = %B20.else.if.i.i95.1, %collatz_steps_lalA.exit106
  %steps.3.1.i.i105.1 = phi i64 [ 0, %collatz_steps_lalA.exit106 ], [ %.129.i.i103.1, %B20.else.if.i.i95.1 ]
  %o.p.1 = getelementptr inbounds i64, ptr %2, i64 %i.next
  store i64 %steps.3.1.i.i105.1, ptr %o.p.1, align 8
  %i.next.1 = add nuw i64 %i, 2
  %niter.next.1 = add i64 %niter, 2
  %niter.ncmp.1 = icmp eq i64 %niter.next.1, %unroll_iter
  br i1 %niter.ncmp.1, label %common.ret.loopexit.unr-lcssa, label %loop

common.ret.loopexit.unr-lcssa:                    ; preds = %collatz_steps_lalA.exit106.1
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %common.ret, label %loop.epil.preheader

loop.epil.preheader:                              ; preds = %common.ret.loopexit.unr-lcssa, %loop.preheader
  %i.epil.init = phi i64 [ 0, %loop.preheader ], [ %i.next.1, %common.ret.loopexit.unr-lcssa ]
  %lcmp.mod122 = icmp ne i64 %xtraiter, 0
  tail call void @llvm.assume(i1 %lcmp.mod122)
  %a.p.epil = getelementptr inbounds i64, ptr %arg.col, i64 %i.epil.init
  %a.epil = load i64, ptr %a.p.epil, align 8
  %.14.not.i.i94.epil = icmp eq i64 %a.epil, 1
  br i1 %.14.not.i.i94.epil, label %collatz_steps_lalA.exit106.epil, label %B20.else.if.i.i95.epil

B20.else.if.i.i95.epil:                           ; preds = %loop.epil.preheader, %B20.else.if.i.i95.epil
  %n.3.0.i.i96.epil = phi i64 [ %n.4.1.i.i102.epil, %B20.else.if.i.i95.epil ], [ %a.epil, %loop.epil.preheader ]
  %steps.2.0.i.i97.epil = phi i64 [ %.129.i.i103.epil, %B20.else.if.i.i95.epil ], [ 0, %loop.epil.preheader ]
  %7 = and i64 %n.3.0.i.i96.epil, 1
  %.66.i.i98.epil = icmp eq i64 %7, 0
  %.118.i.i99.epil = mul nsw i64 %n.3.0.i.i96.epil, 3
  %.121.i.i100.epil = add nsw i64 %.118.i.i99.epil, 1
  %.89.i.i101.epil = ashr exact i64 %n.3.0.i.i96.epil, 1
  %n.4.1.i.i102.epil = select i1 %.66.i.i98.epil, i64 %.89.i.i101.epil, i64 %.121.i.i100.epil
  %.129.i.i103.epil = add nuw nsw i64 %steps.2.0.i.i97.epil, 1
  %.135.not.i.i104.epil = icmp eq i64 %n.4.1.i.i102.epil, 1
  br i1 %.135.not.i.i104.epil, label %collatz_steps_lalA.exit106.epil, label %B20.else.if.i.i95.epil

collatz_steps_lalA.exit106.epil:                  ; preds = %B20.else.if.i.i95.epil, %loop.epil.preheader
  %steps.3.1.i.i105.epil = phi i64 [ 0, %loop.epil.preheader ], [ %.129.i.i103.epil, %B20.else.if.i.i95.epil ]
  %o.p.epil = getelementptr inbounds i64, ptr %2, i64 %i.epil.init
  store i64 %steps.3.1.i.i105.epil, ptr %o.p.epil, align 8
  br label %common.ret

common.ret:                                       ; preds = %row.join55, %collatz_steps_lalA.exit106.epil, %common.ret.loopexit.unr-lcssa, %loop.exit2, %dense
  ret i64 0

loop1:                                            ; preds = %masked, %word.join
  %indvars.iv = phi i64 [ %indvars.iv.next, %word.join ], [ 64, %masked ]
  %i4 = phi i64 [ %i.next37, %word.join ], [ 0, %masked ]
  %w.byte = shl i64 %i4, 3
  %w.p = getelementptr inbounds i8, ptr %3, i64 %w.byte
  %w.bits = load i64, ptr %w.p, align 1
  %w.lo = shl i64 %i4, 6
  switch i64 %w.bits, label %loop21 [
    i64 -1, label %loop6
    i64 0, label %word.empty
  ]

loop.exit2:                                       ; preds = %word.join, %masked
  %tail.lo = and i64 %0, -64
  %loop.any42.not = icmp eq i64 %tail.lo, %0
  br i1 %loop.any42.not, label %common.ret, label %loop40

word.empty:                                       ; preds = %loop1
  %z.p = getelementptr inbounds i64, ptr %2, i64 %w.lo
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 1 dereferenceable(512) %z.p, i8 0, i64 512, i1 false)
  br label %word.join

word.join:                                        ; preds = %collatz_steps_lalA.exit93.1, %row.join.1, %word.empty
  %i.next37 = add nuw nsw i64 %i4, 1
  %indvars.iv.next = add i64 %indvars.iv, 64
  %exitcond112.not = icmp eq i64 %i.next37, %words
  br i1 %exitcond112.not, label %loop.exit2, label %loop1

loop6:                                            ; preds = %loop1, %collatz_steps_lalA.exit93.1
  %i9 = phi i64 [ %i.next18.1, %collatz_steps_lalA.exit93.1 ], [ %w.lo, %loop1 ]
  %a.p11 = getelementptr inbounds i64, ptr %arg.col, i64 %i9
  %a12 = load i64, ptr %a.p11, align 8
  %.14.not.i.i81 = icmp eq i64 %a12, 1
  br i1 %.14.not.i.i81, label %collatz_steps_lalA.exit93, label %B20.else.if.i.i82

B20.else.if.i.i82:                                ; preds = %loop6, %B20.else.if.i.i82
  %n.3.0.i.i83 = phi i64 [ %n.4.1.i.i89, %B20.else.if.i.i82 ], [ %a12, %loop6 ]
  %steps.2.0.i.i84 = phi i64 [ %.129.i.i90, %B20.else.if.i.i82 ], [ 0, %loop6 ]
  %8 = and i64 %n.3.0.i.i83, 1
  %.66.i.i85 = icmp eq i64 %8, 0
  %.118.i.i86 = mul nsw i64 %n.3.0.i.i83, 3
  %.121.i.i87 = add nsw i64 %.118.i.i86, 1
  %.89.i.i88 = ashr exact i64 %n.3.0.i.i83, 1
  %n.4.1.i.i89 = select i1 %.66.i.i85, i64 %.89.i.i88, i64 %.121.i.i87
  %.129.i.i90 = add nuw nsw i64 %steps.2.0.i.i84, 1
  %.135.not.i.i91 = icmp eq i64 %n.4.1.i.i89, 1
  br i1 %.135.not.i.i91, label %collatz_steps_lalA.exit93, label %B20.else.if.i.i82

collatz_steps_lalA.exit93:                        ; preds = %B20.else.if.i.i82, %loop6
  %steps.3.1.i.i92 = phi i64 [ 0, %loop6 ], [ %.129.i.i90, %B20.else.if.i.i82 ]
  %o.p14 = getelementptr inbounds i64, ptr %2, i64 %i9
  store i64 %steps.3.1.i.i92, ptr %o.p14, align 8
  %i.next18 = or disjoint i64 %i9, 1
  %a.p11.1 = getelementptr inbounds i64, ptr %arg.col, i64 %i.next18
  %a12.1 = load i64, ptr %a.p11.1, align 8
  %.14.not.i.i81.1 = icmp eq i64 %a12.1, 1
  br i1 %.14.not.i.i81.1, label %collatz_steps_lalA.exit93.1, label %B20.else.if.i.i82.1

B20.else.if.i.i82.1:                              ; preds = %collatz_steps_lalA.exit93, %B20.else.if.i.i82.1
  %n.3.0.i.i83.1 = phi i64 [ %n.4.1.i.i89.1, %B20.else.if.i.i82.1 ], [ %a12.1, %collatz_steps_lalA.exit93 ]
  %steps.2.0.i.i84.1 = phi i64 [ %.129.i.i90.1, %B20.else.if.i.i82.1 ], [ 0, %collatz_steps_lalA.exit93 ]
  %9 = and i64 %n.3.0.i.i83.1, 1
  %.66.i.i85.1 = icmp eq i64 %9, 0
  %.118.i.i86.1 = mul nsw i64 %n.3.0.i.i83.1, 3
  %.121.i.i87.1 = add nsw i64 %.118.i.i86.1, 1
  %.89.i.i88.1 = ashr exact i64 %n.3.0.i.i83.1, 1
  %n.4.1.i.i89.1 = select i1 %.66.i.i85.1, i64 %.89.i.i88.1, i64 %.121.i.i87.1
  %.129.i.i90.1 = add nuw nsw i64 %steps.2.0.i.i84.1, 1
  %.135.not.i.i91.1 = icmp eq i64 %n.4.1.i.i89.1, 1
  br i1 %.135.not.i.i91.1, label %collatz_steps_lalA.exit93.1, label %B20.else.if.i.i82.1

collatz_steps_lalA.exit93.1:                      ; preds = %B20.else.if.i.i82.1, %collatz_steps_lalA.exit93
  %steps.3.1.i.i92.1 = phi i64 [ 0, %collatz_steps_lalA.exit93 ], [ %.129.i.i90.1, %B20.else.if.i.i82.1 ]
  %o.p14.1 = getelementptr inbounds i64, ptr %2, i64 %i.next18
  store i64 %steps.3.1.i.i92.1, ptr %o.p14.1, align 8
  %i.next18.1 = add nuw i64 %i9, 2
  %exitcond.not.1 = icmp eq i64 %i.next18.1, %indvars.iv
  br i1 %exitcond.not.1, label %word.join, label %loop6

loop21:                                           ; preds = %loop1, %row.join.1
  %i24 = phi i64 [ %i.next34.1, %row.join.1 ], [ %w.lo, %loop1 ]
  %byte.i = lshr i64 %i24, 3
  %byte.p = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i
  %byte = load i8, ptr %byte.p, align 1
  %10 = trunc i64 %i24 to i8
  %bit.i8 = and i8 %10, 6
  %11 = shl nuw nsw i8 1, %bit.i8
  %12 = and i8 %11, %byte
  %valid.not = icmp eq i8 %12, 0
  br i1 %valid.not, label %row.join, label %row.valid

row.valid:                                        ; preds = %loop21
  %a.p26 = getelementptr inbounds i64, ptr %arg.col, i64 %i24
  %a27 = load i64, ptr %a.p26, align 8
  %.14.not.i.i68 = icmp eq i64 %a27, 1
  br i1 %.14.not.i.i68, label %row.join, label %B20.else.if.i.i69

B20.else.if.i.i69:                                ; preds = %row.valid, %B20.else.if.i.i69
  %n.3.0.i.i70 = phi i64 [ %n.4.1.i.i76, %B20.else.if.i.i69 ], [ %a27, %row.valid ]
  %steps.2.0.i.i71 = phi i64 [ %.129.i.i77, %B20.else.if.i.i69 ], [ 0, %row.valid ]
  %13 = and i64 %n.3.0.i.i70, 1
  %.66.i.i72 = icmp eq i64 %13, 0
  %.118.i.i73 = mul nsw i64 %n.3.0.i.i70, 3
  %.121.i.i74 = add nsw i64 %.118.i.i73, 1
  %.89.i.i75 = ashr exact i64 %n.3.0.i.i70, 1
  %n.4.1.i.i76 = select i1 %.66.i.i72, i64 %.89.i.i75, i64 %.121.i.i74
  %.129.i.i77 = add nuw nsw i64 %steps.2.0.i.i71, 1
  %.135.not.i.i78 = icmp eq i64 %n.4.1.i.i76, 1
  br i1 %.135.not.i.i78, label %row.join, label %B20.else.if.i.i69

row.join:                                         ; preds = %B20.else.if.i.i69, %loop21, %row.valid
  %.sink = phi i64 [ 0, %loop21 ], [ 0, %row.valid ], [ %.129.i.i77, %B20.else.if.i.i69 ]
  %z.p32 = getelementptr inbounds i64, ptr %2, i64 %i24
  store i64 %.sink, ptr %z.p32, align 8
  %i.next34 = or disjoint i64 %i24, 1
  %14 = trunc i64 %i.next34 to i8
  %bit.i8.1 = and i8 %14, 7
  %15 = shl nuw i8 1, %bit.i8.1
  %16 = and i8 %15, %byte
  %valid.not.1 = icmp eq i8 %16, 0
  br i1 %valid.not.1, label %row.join.1, label %row.valid.1

row.valid.1:                                      ; preds = %row.join
  %a.p26.1 = getelementptr inbounds i64, ptr %arg.col, i64 %i.next34
  %a27.1 = load i64, ptr %a.p26.1, align 8
  %.14.not.i.i68.1 = icmp eq i64 %a27.1, 1
  br i1 %.14.not.i.i68.1, label %row.join.1, label %B20.else.if.i.i69.1

B20.else.if.i.i69.1:                              ; preds = %row.valid.1, %B20.else.if.i.i69.1
  %n.3.0.i.i70.1 = phi i64 [ %n.4.1.i.i76.1, %B20.else.if.i.i69.1 ], [ %a27.1, %row.valid.1 ]
  %steps.2.0.i.i71.1 = phi i64 [ %.129.i.i77.1, %B20.else.if.i.i69.1 ], [ 0, %row.valid.1 ]
  %17 = and i64 %n.3.0.i.i70.1, 1
  %.66.i.i72.1 = icmp eq i64 %17, 0
  %.118.i.i73.1 = mul nsw i64 %n.3.0.i.i70.1, 3
  %.121.i.i74.1 = add nsw i64 %.118.i.i73.1, 1
  %.89.i.i75.1 = ashr exact i64 %n.3.0.i.i70.1, 1
  %n.4.1.i.i76.1 = select i1 %.66.i.i72.1, i64 %.89.i.i75.1, i64 %.121.i.i74.1
  %.129.i.i77.1 = add nuw nsw i64 %steps.2.0.i.i71.1, 1
  %.135.not.i.i78.1 = icmp eq i64 %n.4.1.i.i76.1, 1
  br i1 %.135.not.i.i78.1, label %row.join.1, label %B20.else.if.i.i69.1

row.join.1:                                       ; preds = %B20.else.if.i.i69.1, %row.valid.1, %row.join
  %.sink.1 = phi i64 [ 0, %row.join ], [ 0, %row.valid.1 ], [ %.129.i.i77.1, %B20.else.if.i.i69.1 ]
  %z.p32.1 = getelementptr inbounds i64, ptr %2, i64 %i.next34
  store i64 %.sink.1, ptr %z.p32.1, align 8
  %i.next34.1 = add nuw i64 %i24, 2
  %exitcond111.not.1 = icmp eq i64 %i.next34.1, %indvars.iv
  br i1 %exitcond111.not.1, label %word.join, label %loop21

loop40:                                           ; preds = %loop.exit2, %row.join55
  %i43 = phi i64 [ %i.next65, %row.join55 ], [ %tail.lo, %loop.exit2 ]
  %byte.i45 = lshr i64 %i43, 3
  %byte.p46 = getelementptr inbounds nuw i8, ptr %3, i64 %byte.i45
  %byte47 = load i8, ptr %byte.p46, align 1
  %18 = trunc i64 %i43 to i8
  %bit.i849 = and i8 %18, 7
  %19 = shl nuw i8 1, %bit.i849
  %20 = and i8 %19, %byte47
  %valid52.not = icmp eq i8 %20, 0
  br i1 %valid52.not, label %row.join55, label %row.valid53

row.valid53:                                      ; preds = %loop40
  %a.p56 = getelementptr inbounds i64, ptr %arg.col, i64 %i43
  %a57 = load i64, ptr %a.p56, align 8
  %.14.not.i.i = icmp eq i64 %a57, 1
  br i1 %.14.not.i.i, label %row.join55, label %B20.else.if.i.i

B20.else.if.i.i:                                  ; preds = %row.valid53, %B20.else.if.i.i
  %n.3.0.i.i = phi i64 [ %n.4.1.i.i, %B20.else.if.i.i ], [ %a57, %row.valid53 ]
  %steps.2.0.i.i = phi i64 [ %.129.i.i, %B20.else.if.i.i ], [ 0, %row.valid53 ]
  %21 = and i64 %n.3.0.i.i, 1
  %.66.i.i = icmp eq i64 %21, 0
  %.118.i.i = mul nsw i64 %n.3.0.i.i, 3
  %.121.i.i = add nsw i64 %.118.i.i, 1
  %.89.i.i = ashr exact i64 %n.3.0.i.i, 1
  %n.4.1.i.i = select i1 %.66.i.i, i64 %.89.i.i, i64 %.121.i.i
  %.129.i.i = add nuw nsw i64 %steps.2.0.i.i, 1
  %.135.not.i.i = icmp eq i64 %n.4.1.i.i, 1
  br i1 %.135.not.i.i, label %row.join55, label %B20.else.if.i.i

row.join55:                                       ; preds = %B20.else.if.i.i, %loop40, %row.valid53
  %.sink117 = phi i64 [ 0, %loop40 ], [ 0, %row.valid53 ], [ %.129.i.i, %B20.else.if.i.i ]
  %z.p62 = getelementptr inbounds i64, ptr %2, i64 %i43
  store i64 %.sink117, ptr %z.p62, align 8
  %i.next65 = add nuw i64 %i43, 1
  %loop.more66 = icmp ult i64 %i.next65, %0
  br i1 %loop.more66, label %loop40, label %common.ret
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg) #1

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write)
declare void @llvm.assume(i1 noundef) #2

attributes #0 = { nofree norecurse nosync nounwind memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) }
attributes #1 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #2 = { nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
