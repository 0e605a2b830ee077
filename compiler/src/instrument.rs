//! Run-time guards in generated kernels, so that hostile user code can neither run
//! forever nor kill the server with SIGFPE:
//!
//! * trap-free integer division ([`guard_divisions`], on each user function *before* it is
//!   inlined, because inlining folds a division by a constant 0 into poison):
//!   `sdiv`/`srem`/`udiv`/`urem` whose divisor is not a constant known to be safe divide
//!   by `select(bad, 1, b)`, where `bad` is `b == 0` (or, signed, `a == MIN && b == -1`),
//!   and branch, when `bad`, to a block that calls a fault marker with the fault code.
//!   Vector divisions are guarded per lane (any bad lane is a fault).
//! * once all user code is inlined into the range functions, [`lower_faults`] turns each
//!   marker call into a store of the code into the kernel's interrupt cell and a return,
//!   so a fault ends the kernel at the row that caused it;
//! * interrupt checks ([`check_back_edges`]): every retreating edge of user code (a DFS
//!   back edge; every cycle, reducible or not, has one) goes through a block that loads
//!   the cell (`load atomic … monotonic`) and returns when it is not 0. The kernel's own
//!   row loop is left alone: its trip count is bounded and it must stay vectorisable.
//!
//! A range function left early returns [`INTERRUPTED`]; the kernel passes it on and
//! `Kernel::run_interruptible` reads the cell to tell why.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;

use llvm_sys::core::{
    LLVMAddFunction, LLVMAddIncoming, LLVMAppendBasicBlockInContext, LLVMBuildAnd,
    LLVMBuildBitCast, LLVMBuildBr, LLVMBuildCall2, LLVMBuildCondBr, LLVMBuildICmp, LLVMBuildLoad2,
    LLVMBuildOr, LLVMBuildPhi, LLVMBuildRet, LLVMBuildSelect, LLVMBuildStore, LLVMConstAllOnes,
    LLVMConstInt, LLVMConstIntOfArbitraryPrecision, LLVMConstNull, LLVMConstVector,
    LLVMCountIncoming, LLVMCreateBuilderInContext, LLVMDeleteFunction, LLVMDisposeBuilder,
    LLVMFunctionType, LLVMGetAggregateElement, LLVMGetBasicBlockParent,
    LLVMGetBasicBlockTerminator, LLVMGetCalledValue, LLVMGetElementType, LLVMGetFirstInstruction,
    LLVMGetFirstUse, LLVMGetIncomingBlock, LLVMGetIncomingValue, LLVMGetInstructionOpcode,
    LLVMGetInstructionParent, LLVMGetIntTypeWidth, LLVMGetModuleContext, LLVMGetNextInstruction,
    LLVMGetNumSuccessors, LLVMGetOperand, LLVMGetSuccessor, LLVMGetTypeKind, LLVMGetUser,
    LLVMGetValueName2, LLVMGetVectorSize, LLVMInsertIntoBuilderWithName,
    LLVMInstructionEraseFromParent, LLVMInstructionRemoveFromParent, LLVMInt32TypeInContext,
    LLVMInt64TypeInContext, LLVMIntTypeInContext, LLVMIsACallInst, LLVMIsAConstantInt,
    LLVMIsAPHINode, LLVMIsNull, LLVMPositionBuilderAtEnd, LLVMPositionBuilderBefore,
    LLVMReplaceAllUsesWith, LLVMSetAlignment, LLVMSetOperand, LLVMSetOrdering, LLVMSetSuccessor,
    LLVMTypeOf, LLVMVoidTypeInContext,
};
use llvm_sys::prelude::{
    LLVMBasicBlockRef, LLVMBuilderRef, LLVMContextRef, LLVMModuleRef, LLVMTypeRef, LLVMValueRef,
};
use llvm_sys::{LLVMAtomicOrdering, LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

use crate::kernel::{CELL_DIVISION_BY_ZERO, CELL_DIVISION_OVERFLOW};
use crate::llvm::{blocks, instructions};

/// What a range function returns when it stopped early (interrupt or fault). Range
/// functions otherwise return a count of rows, never negative.
pub(crate) const INTERRUPTED: i64 = -1;

/// One generated range function after inlining.
pub(crate) struct RangeFunction {
    pub function: LLVMValueRef,
    /// Its `ptr interrupt` parameter.
    pub interrupt: LLVMValueRef,
    /// Headers of the kernel's own loops (the row loop), whose back edges stay unchecked.
    pub own_loop_headers: Vec<LLVMBasicBlockRef>,
}

/// `void udf.fault(i32 code)`: what a guarded division calls when it would fault, until
/// [`lower_faults`] replaces the calls. Never linked: [`remove_fault_marker`] deletes it.
pub(crate) fn declare_fault_marker(module: LLVMModuleRef) -> LLVMValueRef {
    // SAFETY: `module` is live; the function type is built in its context and LLVM
    // copies the name (uniquifying it if the client used it).
    unsafe {
        let ctx = LLVMGetModuleContext(module);
        let mut params = [LLVMInt32TypeInContext(ctx)];
        let ty = LLVMFunctionType(LLVMVoidTypeInContext(ctx), params.as_mut_ptr(), 1, 0);
        LLVMAddFunction(module, cstr("udf.fault").as_ptr(), ty)
    }
}

/// Deletes the marker and any call to it left outside the range functions (in user
/// functions the kernels no longer call: they are never run).
pub(crate) fn remove_fault_marker(marker: LLVMValueRef) {
    // SAFETY: `marker` is the live declaration; each of its users is a call instruction
    // returning void (nothing uses it), erased before the declaration is deleted.
    unsafe {
        loop {
            let first = LLVMGetFirstUse(marker);
            if first.is_null() {
                break;
            }
            LLVMInstructionEraseFromParent(LLVMGetUser(first));
        }
        LLVMDeleteFunction(marker);
    }
}

/// Guards the integer divisions of the user function `f` (see the module comment).
/// Returns how many it guarded.
pub(crate) fn guard_divisions(f: LLVMValueRef, marker: LLVMValueRef) -> usize {
    let mut pass = Pass::new(f, std::ptr::null_mut());
    let work: Vec<(LLVMBasicBlockRef, Vec<LLVMValueRef>)> = blocks(f)
        .map(|b| {
            (
                b,
                instructions(b)
                    .filter(|i| needs_guard(*i))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, divs)| !divs.is_empty())
        .collect();
    let mut count = 0;
    for (block, divs) in work {
        // Bottom-up: each split moves only what lies between this division and the
        // previous split, so every instruction moves once.
        for &div in divs.iter().rev() {
            pass.guard_division(block, div, marker);
            count += 1;
        }
    }
    if count > 0 {
        // The function now calls the marker: its memory attributes no longer hold.
        for attr in [
            "memory",
            "readnone",
            "readonly",
            "writeonly",
            "speculatable",
        ] {
            // SAFETY: `f` is a live function; removing an absent attribute is a no-op.
            unsafe {
                let kind = llvm_sys::core::LLVMGetEnumAttributeKindForName(
                    attr.as_ptr().cast(),
                    attr.len(),
                );
                llvm_sys::core::LLVMRemoveEnumAttributeAtIndex(
                    f,
                    llvm_sys::LLVMAttributeFunctionIndex,
                    kind,
                );
            }
        }
    }
    count
}

/// Replaces each call of `marker` in `range` (inlined from a guarded division) by a store
/// of its fault code into the interrupt cell and a return of [`INTERRUPTED`].
pub(crate) fn lower_faults(range: &RangeFunction, marker: LLVMValueRef) -> usize {
    let mut pass = Pass::new(range.function, range.interrupt);
    let calls: Vec<LLVMValueRef> = blocks(range.function)
        .flat_map(instructions)
        .filter(|i| {
            // SAFETY: `i` is a live instruction; a call's called operand is live.
            unsafe { !LLVMIsACallInst(*i).is_null() && LLVMGetCalledValue(*i) == marker }
        })
        .collect();
    for &call in &calls {
        pass.lower_fault(call);
    }
    calls.len()
}

/// Splits every retreating edge of user code in `range` with an interrupt check. Returns
/// how many it split.
pub(crate) fn check_back_edges(range: &RangeFunction) -> usize {
    let mut pass = Pass::new(range.function, range.interrupt);
    let mut count = 0;
    for (from, to) in retreating_edges(range.function) {
        if range.own_loop_headers.contains(&to) {
            continue;
        }
        pass.split_with_check(from, to);
        count += 1;
    }
    count
}

struct Pass {
    function: LLVMValueRef,
    /// The interrupt cell (null while guarding a user function).
    interrupt: LLVMValueRef,
    ctx: LLVMContextRef,
    builder: LLVMBuilderRef,
    exit: Option<LLVMBasicBlockRef>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        // SAFETY: the builder was created by `Pass::new` and is disposed once.
        unsafe { LLVMDisposeBuilder(self.builder) };
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

impl Pass {
    fn new(function: LLVMValueRef, interrupt: LLVMValueRef) -> Self {
        // SAFETY: `function` is a live function; its type's context is the module's, in
        // which the builder is created.
        let ctx = unsafe { llvm_sys::core::LLVMGetTypeContext(LLVMTypeOf(function)) };
        // SAFETY: `ctx` is a live context.
        let builder = unsafe { LLVMCreateBuilderInContext(ctx) };
        Pass {
            function,
            interrupt,
            ctx,
            builder,
            exit: None,
        }
    }

    fn i32(&self, v: u32) -> LLVMValueRef {
        // SAFETY: `ctx` is live.
        unsafe { LLVMConstInt(LLVMInt32TypeInContext(self.ctx), v as u64, 0) }
    }

    fn block(&self, name: &str) -> LLVMBasicBlockRef {
        let name = cstr(name);
        // SAFETY: the function is live; LLVM copies the name.
        unsafe { LLVMAppendBasicBlockInContext(self.ctx, self.function, name.as_ptr()) }
    }

    /// The block that returns [`INTERRUPTED`] from a range function, made on first use.
    fn exit_block(&mut self) -> LLVMBasicBlockRef {
        if let Some(b) = self.exit {
            return b;
        }
        let b = self.block("interrupt.exit");
        // SAFETY: `b` is a new, empty block of the range function, which returns i64.
        unsafe {
            LLVMPositionBuilderAtEnd(self.builder, b);
            let marker = LLVMConstInt(LLVMInt64TypeInContext(self.ctx), INTERRUPTED as u64, 1);
            LLVMBuildRet(self.builder, marker);
        }
        self.exit = Some(b);
        b
    }

    /// Moves `inst` and everything after it in its block into a new block, which the
    /// phis of the moved terminator's successors now name instead. Returns the new block.
    fn split_before(&self, inst: LLVMValueRef, name: &str) -> LLVMBasicBlockRef {
        let tail = self.block(name);
        // SAFETY: `inst` is a live, non-phi instruction; the instructions from it to the
        // end of its block are moved in order (their names kept) to the end of `tail`.
        unsafe {
            let block = LLVMGetInstructionParent(inst);
            let mut moved = Vec::new();
            let mut next = inst;
            while !next.is_null() {
                moved.push(next);
                next = LLVMGetNextInstruction(next);
            }
            LLVMPositionBuilderAtEnd(self.builder, tail);
            for i in moved {
                let name = value_name(i);
                LLVMInstructionRemoveFromParent(i);
                LLVMInsertIntoBuilderWithName(self.builder, i, cstr(&name).as_ptr());
            }
            let term = LLVMGetBasicBlockTerminator(tail);
            if !term.is_null() {
                let mut seen = HashSet::new();
                for i in 0..LLVMGetNumSuccessors(term) {
                    let succ = LLVMGetSuccessor(term, i);
                    if seen.insert(succ) {
                        self.replace_incoming(succ, block, tail, false);
                    }
                }
            }
        }
        tail
    }

    /// `block: … bad = …; br bad, fault, ok` / `fault: call marker(code); br ok` /
    /// `ok: div …`.
    fn guard_division(
        &mut self,
        block: LLVMBasicBlockRef,
        div: LLVMValueRef,
        marker: LLVMValueRef,
    ) {
        let b = self.builder;
        // SAFETY: `div` is a live integer division in `block`; every value built here has
        // the type its instruction needs (the divisor's type, its i1 comparison type, or
        // i32 for the fault code).
        unsafe {
            let signed = matches!(
                LLVMGetInstructionOpcode(div),
                LLVMOpcode::LLVMSDiv | LLVMOpcode::LLVMSRem
            );
            let dividend = LLVMGetOperand(div, 0);
            let divisor = LLVMGetOperand(div, 1);
            let ty = LLVMTypeOf(divisor);
            LLVMPositionBuilderBefore(b, div);
            let zero = LLVMBuildICmp(
                b,
                LLVMIntPredicate::LLVMIntEQ,
                divisor,
                LLVMConstNull(ty),
                cstr("div.zero").as_ptr(),
            );
            let mut bad_lanes = zero;
            if signed {
                let is_min = LLVMBuildICmp(
                    b,
                    LLVMIntPredicate::LLVMIntEQ,
                    dividend,
                    signed_min(ty),
                    cstr("div.min").as_ptr(),
                );
                let is_minus_one = LLVMBuildICmp(
                    b,
                    LLVMIntPredicate::LLVMIntEQ,
                    divisor,
                    LLVMConstAllOnes(ty),
                    cstr("div.m1").as_ptr(),
                );
                let overflow = LLVMBuildAnd(b, is_min, is_minus_one, cstr("div.ovf").as_ptr());
                bad_lanes = LLVMBuildOr(b, zero, overflow, cstr("div.bad").as_ptr());
            }
            let safe = LLVMBuildSelect(b, bad_lanes, splat(ty, 1), divisor, cstr("div.d").as_ptr());
            LLVMSetOperand(div, 1, safe);
            let bad = self.any_lane(bad_lanes, "div.any");
            let code = if signed {
                let any_zero = self.any_lane(zero, "div.anyzero");
                LLVMBuildSelect(
                    b,
                    any_zero,
                    self.i32(CELL_DIVISION_BY_ZERO),
                    self.i32(CELL_DIVISION_OVERFLOW),
                    cstr("div.code").as_ptr(),
                )
            } else {
                self.i32(CELL_DIVISION_BY_ZERO)
            };
            let ok = self.split_before(div, "div.ok");
            let fault = self.block("div.fault");
            LLVMPositionBuilderAtEnd(b, block);
            LLVMBuildCondBr(b, bad, fault, ok);
            LLVMPositionBuilderAtEnd(b, fault);
            let mut args = [code];
            let marker_type = llvm_sys::core::LLVMGlobalGetValueType(marker);
            LLVMBuildCall2(
                b,
                marker_type,
                marker,
                args.as_mut_ptr(),
                1,
                cstr("").as_ptr(),
            );
            LLVMBuildBr(b, ok);
        }
    }

    /// `call marker(code)` → `store atomic code, interrupt; ret INTERRUPTED`; what
    /// followed the call moves to a block nothing branches to.
    fn lower_fault(&mut self, call: LLVMValueRef) {
        let exit = self.exit_block();
        // SAFETY: `call` is a live call of the marker in the range function: its one
        // argument is the i32 code. What follows it is split off first, so the call ends
        // its block when it is replaced.
        unsafe {
            let next = LLVMGetNextInstruction(call);
            if !next.is_null() {
                self.split_before(next, "fault.dead");
            }
            let block = LLVMGetInstructionParent(call);
            let code = LLVMGetOperand(call, 0);
            LLVMPositionBuilderAtEnd(self.builder, block);
            let store = LLVMBuildStore(self.builder, code, self.interrupt);
            LLVMSetOrdering(store, LLVMAtomicOrdering::LLVMAtomicOrderingMonotonic);
            LLVMSetAlignment(store, 4);
            LLVMBuildBr(self.builder, exit);
            LLVMInstructionEraseFromParent(call);
        }
    }

    /// `v` itself for an i1, else "any lane set" of an `<N x i1>`.
    fn any_lane(&self, v: LLVMValueRef, name: &str) -> LLVMValueRef {
        // SAFETY: `v` is a live i1 or `<N x i1>` value; the bitcast to iN is valid and the
        // comparison yields i1.
        unsafe {
            let ty = LLVMTypeOf(v);
            if LLVMGetTypeKind(ty) != LLVMTypeKind::LLVMVectorTypeKind {
                return v;
            }
            let bits = LLVMIntTypeInContext(self.ctx, LLVMGetVectorSize(ty));
            let mask = LLVMBuildBitCast(self.builder, v, bits, cstr("lanes").as_ptr());
            LLVMBuildICmp(
                self.builder,
                LLVMIntPredicate::LLVMIntNE,
                mask,
                LLVMConstNull(bits),
                cstr(name).as_ptr(),
            )
        }
    }

    /// In the phis of `block`, makes the entries coming from `old` come from `new`; with
    /// `merge`, several entries from `old` (one edge per switch case) become one.
    fn replace_incoming(
        &self,
        block: LLVMBasicBlockRef,
        old: LLVMBasicBlockRef,
        new: LLVMBasicBlockRef,
        merge: bool,
    ) {
        // SAFETY: `block` is a live block; its leading phis are rebuilt one by one (the C
        // API cannot change an incoming block): a new phi of the same type and name with
        // the adjusted entries replaces all uses of the old one, which is then erased.
        unsafe {
            let phis: Vec<LLVMValueRef> = instructions(block)
                .take_while(|i| !LLVMIsAPHINode(*i).is_null())
                .collect();
            for phi in phis {
                let n = LLVMCountIncoming(phi);
                let entries: Vec<(LLVMValueRef, LLVMBasicBlockRef)> = (0..n)
                    .map(|i| (LLVMGetIncomingValue(phi, i), LLVMGetIncomingBlock(phi, i)))
                    .collect();
                if !entries.iter().any(|(_, blk)| *blk == old) {
                    continue;
                }
                let name = value_name(phi);
                LLVMPositionBuilderBefore(self.builder, LLVMGetFirstInstruction(block));
                let fresh = LLVMBuildPhi(self.builder, LLVMTypeOf(phi), cstr("").as_ptr());
                let mut added_new = false;
                for (mut value, blk) in entries {
                    let mut blk = if blk == old {
                        if merge && added_new {
                            continue;
                        }
                        added_new = true;
                        new
                    } else {
                        blk
                    };
                    LLVMAddIncoming(fresh, &mut value, &mut blk, 1);
                }
                LLVMReplaceAllUsesWith(phi, fresh);
                LLVMInstructionEraseFromParent(phi);
                let name = cstr(&name);
                llvm_sys::core::LLVMSetValueName2(fresh, name.as_ptr(), name.as_bytes().len());
            }
        }
    }

    /// `from → to` becomes `from → check → to`, `check` returning when the cell is set.
    fn split_with_check(&mut self, from: LLVMBasicBlockRef, to: LLVMBasicBlockRef) {
        let exit = self.exit_block();
        let check = self.block("interrupt.check");
        let b = self.builder;
        // SAFETY: `from` and `to` are live blocks of the range function with an edge
        // between them; `check` is new. The interrupt parameter points at an aligned u32
        // (`Interrupt`), read atomically.
        unsafe {
            debug_assert_eq!(LLVMGetBasicBlockParent(from), self.function);
            LLVMPositionBuilderAtEnd(b, check);
            let i32t = LLVMInt32TypeInContext(self.ctx);
            let state = LLVMBuildLoad2(b, i32t, self.interrupt, cstr("interrupt").as_ptr());
            LLVMSetOrdering(state, LLVMAtomicOrdering::LLVMAtomicOrderingMonotonic);
            LLVMSetAlignment(state, 4);
            let stop = LLVMBuildICmp(
                b,
                LLVMIntPredicate::LLVMIntNE,
                state,
                self.i32(0),
                cstr("interrupted").as_ptr(),
            );
            LLVMBuildCondBr(b, stop, exit, to);
            let term = LLVMGetBasicBlockTerminator(from);
            for i in 0..LLVMGetNumSuccessors(term) {
                if LLVMGetSuccessor(term, i) == to {
                    LLVMSetSuccessor(term, i, check);
                }
            }
        }
        self.replace_incoming(to, from, check, true);
    }
}

/// Whether `inst` is an integer division or remainder whose divisor is not a constant
/// known to be safe (non-zero, and not -1 for a signed one).
fn needs_guard(inst: LLVMValueRef) -> bool {
    // SAFETY: `inst` is a live instruction; a division has two operands.
    unsafe {
        let signed = match LLVMGetInstructionOpcode(inst) {
            LLVMOpcode::LLVMSDiv | LLVMOpcode::LLVMSRem => true,
            LLVMOpcode::LLVMUDiv | LLVMOpcode::LLVMURem => false,
            _ => return false,
        };
        let divisor = LLVMGetOperand(inst, 1);
        let ty = LLVMTypeOf(divisor);
        let safe_lane = |c: LLVMValueRef| {
            !c.is_null()
                && !LLVMIsAConstantInt(c).is_null()
                && LLVMIsNull(c) == 0
                && (!signed || c != LLVMConstAllOnes(LLVMTypeOf(c)))
        };
        match LLVMGetTypeKind(ty) {
            LLVMTypeKind::LLVMIntegerTypeKind => !safe_lane(divisor),
            LLVMTypeKind::LLVMVectorTypeKind => {
                let lanes = LLVMGetVectorSize(ty);
                !(0..lanes).all(|i| safe_lane(LLVMGetAggregateElement(divisor, i)))
            }
            _ => true,
        }
    }
}

/// The smallest signed value of an integer (or integer vector) type, as a constant.
fn signed_min(ty: LLVMTypeRef) -> LLVMValueRef {
    // SAFETY: `ty` is an integer or integer vector type; the words hold `width` bits.
    unsafe {
        let element = element_type(ty);
        let width = LLVMGetIntTypeWidth(element) as usize;
        let mut words = vec![0u64; width.div_ceil(64)];
        words[(width - 1) / 64] |= 1u64 << ((width - 1) % 64);
        let min = LLVMConstIntOfArbitraryPrecision(element, words.len() as u32, words.as_ptr());
        splat_value(ty, min)
    }
}

fn element_type(ty: LLVMTypeRef) -> LLVMTypeRef {
    // SAFETY: `ty` is a live type.
    unsafe {
        if LLVMGetTypeKind(ty) == LLVMTypeKind::LLVMVectorTypeKind {
            LLVMGetElementType(ty)
        } else {
            ty
        }
    }
}

/// The constant `v` of the integer (or integer vector) type `ty`.
fn splat(ty: LLVMTypeRef, v: u64) -> LLVMValueRef {
    // SAFETY: `ty` is an integer or integer vector type.
    unsafe { splat_value(ty, LLVMConstInt(element_type(ty), v, 0)) }
}

fn splat_value(ty: LLVMTypeRef, scalar: LLVMValueRef) -> LLVMValueRef {
    // SAFETY: `scalar` has the element type of `ty`; a vector of it has `ty`.
    unsafe {
        if LLVMGetTypeKind(ty) != LLVMTypeKind::LLVMVectorTypeKind {
            return scalar;
        }
        let mut lanes = vec![scalar; LLVMGetVectorSize(ty) as usize];
        LLVMConstVector(lanes.as_mut_ptr(), lanes.len() as u32)
    }
}

fn value_name(v: LLVMValueRef) -> String {
    let mut len = 0usize;
    // SAFETY: `v` is a live value; the name is copied before anything changes it.
    unsafe {
        let p = LLVMGetValueName2(v, &mut len);
        if p.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len)).into_owned()
    }
}

/// The retreating edges of `f`'s CFG (target on the DFS path when the edge is taken),
/// each once, from an iterative depth-first search of the blocks reachable from entry.
fn retreating_edges(f: LLVMValueRef) -> Vec<(LLVMBasicBlockRef, LLVMBasicBlockRef)> {
    let successors = |b: LLVMBasicBlockRef| -> Vec<LLVMBasicBlockRef> {
        // SAFETY: `b` is a live block of `f`; its terminator's successors are too.
        unsafe {
            let term = LLVMGetBasicBlockTerminator(b);
            if term.is_null() {
                return Vec::new();
            }
            (0..LLVMGetNumSuccessors(term))
                .map(|i| LLVMGetSuccessor(term, i))
                .collect()
        }
    };
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        OnPath,
        Done,
    }
    let Some(entry) = blocks(f).next() else {
        return Vec::new();
    };
    let mut state: HashMap<LLVMBasicBlockRef, State> = HashMap::new();
    let mut edges = Vec::new();
    let mut seen_edges = HashSet::new();
    let mut path: Vec<(LLVMBasicBlockRef, Vec<LLVMBasicBlockRef>, usize)> =
        vec![(entry, successors(entry), 0)];
    state.insert(entry, State::OnPath);
    while let Some(top) = path.last_mut() {
        let (b, next) = (top.0, top.2);
        if next == top.1.len() {
            state.insert(b, State::Done);
            path.pop();
            continue;
        }
        let s = top.1[next];
        top.2 += 1;
        match state.get(&s) {
            Some(State::OnPath) => {
                if seen_edges.insert((b, s)) {
                    edges.push((b, s));
                }
            }
            Some(State::Done) => {}
            None => {
                state.insert(s, State::OnPath);
                let ss = successors(s);
                path.push((s, ss, 0));
            }
        }
    }
    edges
}
