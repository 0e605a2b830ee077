//! The IR policy for hostile input: what a module may contain besides the external
//! allow-list (`llvm::check_externals`). Every check here runs before optimisation and
//! code generation, names what it refuses (function, symbol, or the printed instruction),
//! and never changes the module.
//!
//! Refused: modules over [`IrLimits`]; `inttoptr` of a constant and memory accesses
//! through a constant address; global aliases and ifuncs; definitions of symbols the
//! server process exports (`malloc`, `system`, …); dynamic `alloca`, and static `alloca`s
//! over the stack limit; indirect calls; recursion (any cycle in the call graph: the
//! stack depth of recursive code cannot be bounded, so recursion is refused rather than
//! stopped at run time); exception handling and `indirectbr`; scalable vectors (no CPU
//! back end here can lower them, and a failed selection aborts the process).

use std::collections::{HashMap, HashSet};
use std::ffi::{CString, c_char, c_void};

use llvm_sys::core::{
    LLVMConstIntGetZExtValue, LLVMCountBasicBlocks, LLVMCountParams, LLVMCountStructElementTypes,
    LLVMDisposeMessage, LLVMGetAllocatedType, LLVMGetArrayLength2, LLVMGetCalledValue,
    LLVMGetConstOpcode, LLVMGetElementType, LLVMGetFirstFunction, LLVMGetFirstGlobal,
    LLVMGetFirstGlobalAlias, LLVMGetFirstGlobalIFunc, LLVMGetInitializer, LLVMGetInstructionOpcode,
    LLVMGetIntTypeWidth, LLVMGetNextFunction, LLVMGetNextGlobal, LLVMGetNumOperands,
    LLVMGetOperand, LLVMGetParam, LLVMGetReturnType, LLVMGetStructElementTypes, LLVMGetTypeKind,
    LLVMGlobalGetValueType, LLVMHasPersonalityFn, LLVMIsAConstant, LLVMIsAConstantArray,
    LLVMIsAConstantExpr, LLVMIsAConstantInt, LLVMIsAConstantPointerNull, LLVMIsAConstantStruct,
    LLVMIsAConstantVector, LLVMIsAFunction, LLVMIsAGlobalValue, LLVMIsAInlineAsm,
    LLVMPrintValueToString, LLVMTypeOf,
};
use llvm_sys::prelude::{LLVMModuleRef, LLVMTypeRef, LLVMValueRef};
use llvm_sys::target::{LLVMABISizeOfType, LLVMGetModuleDataLayout};
use llvm_sys::{LLVMOpcode, LLVMTypeKind};

use crate::compiler::IrLimits;
use crate::error::{Error, Result};
use crate::llvm::{blocks, instructions, value_name};

/// Refuses IR bytes over the size limit, before anything parses them.
pub(crate) fn check_size(ir: &[u8], limits: &IrLimits) -> Result<()> {
    if ir.len() > limits.max_ir_bytes {
        return Err(Error::Limit {
            what: "IR size in bytes".into(),
            limit: limits.max_ir_bytes as u64,
            actual: ir.len() as u64,
        });
    }
    Ok(())
}

/// The functions of `module`, defined or declared.
pub(crate) fn functions(module: LLVMModuleRef) -> impl Iterator<Item = LLVMValueRef> {
    // SAFETY: `module` is live; functions are read while it is unchanged.
    let first = unsafe { LLVMGetFirstFunction(module) };
    std::iter::successors((!first.is_null()).then_some(first), |f| {
        // SAFETY: `f` is a live function of `module`.
        let n = unsafe { LLVMGetNextFunction(*f) };
        (!n.is_null()).then_some(n)
    })
}

fn globals(module: LLVMModuleRef) -> impl Iterator<Item = LLVMValueRef> {
    // SAFETY: as in `functions`.
    let first = unsafe { LLVMGetFirstGlobal(module) };
    std::iter::successors((!first.is_null()).then_some(first), |g| {
        // SAFETY: `g` is a live global variable of `module`.
        let n = unsafe { LLVMGetNextGlobal(*g) };
        (!n.is_null()).then_some(n)
    })
}

pub(crate) fn is_defined(f: LLVMValueRef) -> bool {
    // SAFETY: `f` is a live function.
    unsafe { LLVMCountBasicBlocks(f) > 0 }
}

/// Whole-module checks, before anything is internalised or dropped: size limits,
/// aliases and ifuncs, host symbol definitions (except `requested`, the functions being
/// registered), constant addresses in global initialisers.
pub(crate) fn check_module(
    module: LLVMModuleRef,
    limits: &IrLimits,
    requested: &[&str],
) -> Result<()> {
    let count = functions(module).count();
    if count > limits.max_functions {
        return Err(Error::Limit {
            what: "functions in the module".into(),
            limit: limits.max_functions as u64,
            actual: count as u64,
        });
    }
    let total: usize = functions(module)
        .flat_map(blocks)
        .map(|block| instructions(block).count())
        .sum();
    if total > limits.max_instructions {
        return Err(Error::Limit {
            what: "instructions in the module".into(),
            limit: limits.max_instructions as u64,
            actual: total as u64,
        });
    }
    // SAFETY: `module` is live; the first alias / ifunc is only compared with null and
    // named.
    let (alias, ifunc) = unsafe {
        (
            LLVMGetFirstGlobalAlias(module),
            LLVMGetFirstGlobalIFunc(module),
        )
    };
    if !alias.is_null() {
        return Err(Error::Refused(format!(
            "the IR defines global alias `{}`; UDFs may not use aliases (call or reference \
             the aliased function or global directly)",
            value_name(alias)
        )));
    }
    if !ifunc.is_null() {
        return Err(Error::Refused(format!(
            "the IR defines ifunc `{}`; UDFs may not use ifuncs (their resolver would run \
             in the server)",
            value_name(ifunc)
        )));
    }
    for f in functions(module).filter(|f| is_defined(*f)) {
        check_not_host_symbol(f, "function", requested)?;
    }
    for g in globals(module) {
        // SAFETY: `g` is a live global variable.
        let init = unsafe { LLVMGetInitializer(g) };
        if init.is_null() {
            continue;
        }
        check_not_host_symbol(g, "global variable", requested)?;
        let mut seen = HashSet::new();
        if let Some(bad) = find_constant_address(init, &mut seen) {
            return Err(Error::Refused(format!(
                "global `{}` is initialised with `{}`: inttoptr to constant address; UDFs \
                 may not address fixed memory",
                value_name(g),
                print_value(bad)
            )));
        }
    }
    Ok(())
}

/// Whether this process exports `name` (what the dynamic linker would bind to it).
fn is_host_symbol(name: &str) -> bool {
    unsafe extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    let Ok(c_name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `RTLD_DEFAULT` is the null handle on glibc; `c_name` is NUL-terminated and
    // lives across the call, which only looks the name up.
    !unsafe { dlsym(std::ptr::null_mut(), c_name.as_ptr()) }.is_null()
}

fn check_not_host_symbol(v: LLVMValueRef, kind: &str, requested: &[&str]) -> Result<()> {
    let name = value_name(v);
    if name.is_empty()
        || requested.contains(&name.as_str())
        || !(is_host_symbol(&name) || crate::runtime::is_runtime_symbol(&name))
    {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "the IR defines {kind} `{name}`, a symbol of the server process; UDFs may not \
         define host symbols: rename it (e.g. `udf_{name}`)"
    )))
}

/// Checks the functions that `roots` reach (`roots` included): the instructions of each,
/// the call graph (no indirect calls, no recursion) and the size of each root once
/// every call is inlined.
pub(crate) fn check_code(
    module: LLVMModuleRef,
    roots: &[LLVMValueRef],
    limits: &IrLimits,
) -> Result<()> {
    let mut graph: HashMap<LLVMValueRef, Node> = HashMap::new();
    let mut queue: Vec<LLVMValueRef> = roots.iter().copied().filter(|f| is_defined(*f)).collect();
    while let Some(f) = queue.pop() {
        if graph.contains_key(&f) {
            continue;
        }
        let node = check_function_body(module, f, limits)?;
        queue.extend(node.callees.iter().copied());
        graph.insert(f, node);
    }
    check_recursion(roots, &graph)?;
    let mut sizes: HashMap<LLVMValueRef, u64> = HashMap::new();
    for &root in roots {
        let size = inlined_size(root, &graph, &mut sizes);
        if size > limits.max_instructions as u64 {
            return Err(Error::Limit {
                what: format!(
                    "instructions of `{}` with its calls inlined",
                    value_name(root)
                ),
                limit: limits.max_instructions as u64,
                actual: size,
            });
        }
    }
    Ok(())
}

/// A defined function in the call graph: its own size and the call sites of defined
/// functions, one entry per call site (sizes multiply along paths when inlined).
struct Node {
    instructions: u64,
    callees: Vec<LLVMValueRef>,
}

fn check_function_body(module: LLVMModuleRef, f: LLVMValueRef, limits: &IrLimits) -> Result<Node> {
    let fname = || value_name(f);
    // SAFETY: `f` is a live function.
    if unsafe { LLVMHasPersonalityFn(f) } != 0 {
        return Err(Error::Refused(format!(
            "function `{}` has a personality function: exception handling is not supported",
            fname()
        )));
    }
    // SAFETY: `f` is a live function; its value type is a function type.
    unsafe {
        let fn_type = LLVMGlobalGetValueType(f);
        let scalable_param =
            (0..LLVMCountParams(f)).any(|i| is_scalable(LLVMTypeOf(LLVMGetParam(f, i))));
        if scalable_param || is_scalable(LLVMGetReturnType(fn_type)) {
            return Err(scalable_error(&fname()));
        }
    }
    // SAFETY: `module` is live; the data layout is owned by it.
    let layout = unsafe { LLVMGetModuleDataLayout(module) };
    let mut node = Node {
        instructions: 0,
        callees: Vec::new(),
    };
    let mut stack_bytes = 0u64;
    let mut seen_constants = HashSet::new();
    for block in blocks(f) {
        for inst in instructions(block) {
            node.instructions += 1;
            // SAFETY: `inst` is a live instruction of `f`; operand indices stay below its
            // operand count and each operand is a live value.
            let op = unsafe { LLVMGetInstructionOpcode(inst) };
            let operands: Vec<LLVMValueRef> = unsafe {
                (0..LLVMGetNumOperands(inst).max(0) as u32)
                    .map(|i| LLVMGetOperand(inst, i))
                    .filter(|v| !v.is_null())
                    .collect()
            };
            // SAFETY: types of live values.
            let scalable = unsafe {
                is_scalable(LLVMTypeOf(inst))
                    || operands.iter().any(|v| is_scalable(LLVMTypeOf(*v)))
            };
            if scalable {
                return Err(scalable_error(&fname()));
            }
            match op {
                LLVMOpcode::LLVMAlloca => {
                    stack_bytes = stack_bytes.saturating_add(alloca_bytes(f, inst, layout)?);
                }
                // SAFETY: an inttoptr has one operand, a live value.
                LLVMOpcode::LLVMIntToPtr if unsafe { !LLVMIsAConstant(operands[0]).is_null() } => {
                    return Err(refused_instruction(
                        &fname(),
                        inst,
                        "inttoptr to constant address",
                    ));
                }
                LLVMOpcode::LLVMInvoke
                | LLVMOpcode::LLVMCallBr
                | LLVMOpcode::LLVMLandingPad
                | LLVMOpcode::LLVMResume
                | LLVMOpcode::LLVMCatchSwitch
                | LLVMOpcode::LLVMCatchPad
                | LLVMOpcode::LLVMCatchRet
                | LLVMOpcode::LLVMCleanupPad
                | LLVMOpcode::LLVMCleanupRet => {
                    return Err(refused_instruction(
                        &fname(),
                        inst,
                        "exception handling is not supported",
                    ));
                }
                LLVMOpcode::LLVMIndirectBr => {
                    return Err(refused_instruction(
                        &fname(),
                        inst,
                        "indirect branches are not supported",
                    ));
                }
                LLVMOpcode::LLVMCall => {
                    // SAFETY: `inst` is a call; its called operand is a live value.
                    let callee = unsafe { LLVMGetCalledValue(inst) };
                    // SAFETY: `callee` is a live value.
                    if unsafe { !LLVMIsAInlineAsm(callee).is_null() } {
                        return Err(Error::Refused(format!(
                            "function `{}` contains inline assembly, which UDFs may not use",
                            fname()
                        )));
                    }
                    // SAFETY: as above.
                    if unsafe { LLVMIsAFunction(callee).is_null() } {
                        return Err(refused_instruction(
                            &fname(),
                            inst,
                            "indirect call (the callee is not a function): UDFs may only \
                             call functions by name",
                        ));
                    }
                    if is_defined(callee) {
                        node.callees.push(callee);
                    }
                }
                _ => {}
            }
            for &operand in &operands {
                if find_constant_address(operand, &mut seen_constants).is_some() {
                    return Err(refused_instruction(
                        &fname(),
                        inst,
                        "inttoptr to constant address",
                    ));
                }
            }
            if let Some(pointer) = accessed_pointer(op, &operands)
                && is_constant_address(pointer)
            {
                return Err(refused_instruction(
                    &fname(),
                    inst,
                    "memory access through a constant address",
                ));
            }
        }
    }
    if stack_bytes > limits.max_stack_bytes {
        return Err(Error::Limit {
            what: format!("stack bytes (allocas) of `{}`", fname()),
            limit: limits.max_stack_bytes,
            actual: stack_bytes,
        });
    }
    Ok(node)
}

/// The bytes a static `alloca` reserves; a dynamic one (non-constant count) is refused.
fn alloca_bytes(
    f: LLVMValueRef,
    inst: LLVMValueRef,
    layout: llvm_sys::target::LLVMTargetDataRef,
) -> Result<u64> {
    // SAFETY: `inst` is an alloca: operand 0 is its element count, a live value; the
    // allocated type is sized (the verifier checked) and not scalable (checked by the
    // caller), so the data layout can size it.
    unsafe {
        let count = LLVMGetOperand(inst, 0);
        if LLVMIsAConstantInt(count).is_null() {
            return Err(refused_instruction(
                &value_name(f),
                inst,
                "dynamic alloca (its size is not a constant): the stack a UDF uses must be \
                 bounded",
            ));
        }
        let count = if LLVMGetIntTypeWidth(LLVMTypeOf(count)) > 64 {
            u64::MAX
        } else {
            LLVMConstIntGetZExtValue(count)
        };
        let element = LLVMABISizeOfType(layout, LLVMGetAllocatedType(inst));
        Ok(element.saturating_mul(count))
    }
}

/// The pointer a memory instruction reads or writes.
fn accessed_pointer(op: LLVMOpcode, operands: &[LLVMValueRef]) -> Option<LLVMValueRef> {
    match op {
        LLVMOpcode::LLVMLoad => operands.first().copied(),
        LLVMOpcode::LLVMStore => operands.get(1).copied(),
        LLVMOpcode::LLVMAtomicRMW | LLVMOpcode::LLVMAtomicCmpXchg => operands.first().copied(),
        _ => None,
    }
}

/// A constant pointer that is not based on a global: null (plus an offset), or an
/// `inttoptr` (through `getelementptr` and casts).
fn is_constant_address(pointer: LLVMValueRef) -> bool {
    let mut v = pointer;
    // SAFETY: `v` is a live value; constant expression operands are live constants.
    unsafe {
        for _ in 0..64 {
            if !LLVMIsAConstantPointerNull(v).is_null() {
                return true;
            }
            if LLVMIsAConstantExpr(v).is_null() {
                return false;
            }
            match LLVMGetConstOpcode(v) {
                LLVMOpcode::LLVMIntToPtr => return true,
                LLVMOpcode::LLVMGetElementPtr
                | LLVMOpcode::LLVMBitCast
                | LLVMOpcode::LLVMAddrSpaceCast => v = LLVMGetOperand(v, 0),
                _ => return false,
            }
        }
    }
    // A constant nested this deep is not something a compiler writes.
    true
}

/// An `inttoptr` constant expression inside the constant `v` (or `v` itself), if any.
/// Global values are not entered: they are checked as definitions.
fn find_constant_address(
    v: LLVMValueRef,
    seen: &mut HashSet<LLVMValueRef>,
) -> Option<LLVMValueRef> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        // SAFETY: `v` is a live value; only constant expressions and aggregates (both
        // `User`s) have their operands read.
        unsafe {
            if LLVMIsAConstant(v).is_null() || !LLVMIsAGlobalValue(v).is_null() {
                continue;
            }
            let is_expr = !LLVMIsAConstantExpr(v).is_null();
            let is_aggregate = !LLVMIsAConstantStruct(v).is_null()
                || !LLVMIsAConstantArray(v).is_null()
                || !LLVMIsAConstantVector(v).is_null();
            if !(is_expr || is_aggregate) || !seen.insert(v) {
                continue;
            }
            if is_expr && LLVMGetConstOpcode(v) == LLVMOpcode::LLVMIntToPtr {
                return Some(v);
            }
            for i in 0..LLVMGetNumOperands(v).max(0) as u32 {
                let op = LLVMGetOperand(v, i);
                if !op.is_null() {
                    stack.push(op);
                }
            }
        }
    }
    None
}

/// Whether `ty` is, or contains, a scalable vector.
fn is_scalable(ty: LLVMTypeRef) -> bool {
    // SAFETY: `ty` is a live type; element types of arrays, vectors and structs are too.
    unsafe {
        match LLVMGetTypeKind(ty) {
            LLVMTypeKind::LLVMScalableVectorTypeKind => true,
            LLVMTypeKind::LLVMArrayTypeKind if LLVMGetArrayLength2(ty) > 0 => {
                is_scalable(LLVMGetElementType(ty))
            }
            LLVMTypeKind::LLVMStructTypeKind => {
                let n = LLVMCountStructElementTypes(ty) as usize;
                let mut elements = vec![std::ptr::null_mut(); n];
                LLVMGetStructElementTypes(ty, elements.as_mut_ptr());
                elements.into_iter().any(|e| !e.is_null() && is_scalable(e))
            }
            _ => false,
        }
    }
}

fn scalable_error(function: &str) -> Error {
    Error::Refused(format!(
        "function `{function}` uses scalable vectors (`<vscale x …>`), which the CPU back \
         end cannot compile"
    ))
}

/// Refuses recursion: a cycle in the call graph of the functions `roots` reach.
fn check_recursion(roots: &[LLVMValueRef], graph: &HashMap<LLVMValueRef, Node>) -> Result<()> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        OnPath,
        Done,
    }
    let mut state: HashMap<LLVMValueRef, State> = HashMap::new();
    for &root in roots {
        if state.contains_key(&root) || !graph.contains_key(&root) {
            continue;
        }
        // (function, index of its next callee to visit); the stack is the current path.
        let mut path: Vec<(LLVMValueRef, usize)> = vec![(root, 0)];
        state.insert(root, State::OnPath);
        while let Some(top) = path.last_mut() {
            let (f, next) = *top;
            let callees = &graph[&f].callees;
            if next == callees.len() {
                state.insert(f, State::Done);
                path.pop();
                continue;
            }
            top.1 += 1;
            let g = callees[next];
            match state.get(&g) {
                Some(State::Done) => {}
                Some(State::OnPath) => {
                    let start = path.iter().position(|(h, _)| *h == g).unwrap_or(0);
                    let cycle: Vec<String> = path[start..]
                        .iter()
                        .map(|(h, _)| value_name(*h))
                        .chain(std::iter::once(value_name(g)))
                        .collect();
                    return Err(Error::Refused(format!(
                        "recursive call {}: recursion is not supported (stack depth cannot \
                         be bounded)",
                        cycle.join(" → ")
                    )));
                }
                None => {
                    state.insert(g, State::OnPath);
                    path.push((g, 0));
                }
            }
        }
    }
    Ok(())
}

/// Instructions of `f` once every call to a defined function is inlined (the call graph
/// is acyclic: `check_recursion` ran). Saturates instead of overflowing.
fn inlined_size(
    f: LLVMValueRef,
    graph: &HashMap<LLVMValueRef, Node>,
    sizes: &mut HashMap<LLVMValueRef, u64>,
) -> u64 {
    let mut stack = vec![f];
    while let Some(&g) = stack.last() {
        if sizes.contains_key(&g) {
            stack.pop();
            continue;
        }
        let Some(node) = graph.get(&g) else {
            sizes.insert(g, 0);
            stack.pop();
            continue;
        };
        let pending: Vec<LLVMValueRef> = node
            .callees
            .iter()
            .copied()
            .filter(|c| !sizes.contains_key(c))
            .collect();
        if pending.is_empty() {
            let size = node
                .callees
                .iter()
                .fold(node.instructions, |acc, c| acc.saturating_add(sizes[c]));
            sizes.insert(g, size);
            stack.pop();
        } else {
            stack.extend(pending);
        }
    }
    sizes[&f]
}

/// `function `f`: `<instruction>`: why`, the instruction printed on one line, truncated.
pub(crate) fn refused_instruction(function: &str, inst: LLVMValueRef, why: &str) -> Error {
    Error::Refused(format!(
        "function `{function}`: `{}`: {why}",
        print_value(inst)
    ))
}

/// `v` as LLVM prints it, on one line, at most about 120 characters.
pub(crate) fn print_value(v: LLVMValueRef) -> String {
    const MAX: usize = 120;
    // SAFETY: `v` is a live value; LLVM returns an owned C string, freed here.
    let text = unsafe {
        let p = LLVMPrintValueToString(v);
        let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        LLVMDisposeMessage(p);
        s
    };
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        let cut: String = line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
