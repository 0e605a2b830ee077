//! Reading client IR leaves nothing behind. Alone in its test binary: it measures the
//! process's resident memory, which tests running beside it would move.

use compiler::IrLimits;

/// Resident memory of this process in bytes (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn reading_text_ir_keeps_no_copy_of_it() {
    // inkwell's `create_module_from_ir` leaked the buffer of every module it parsed (with
    // LLVM 22 the parser no longer takes it): 48 checks of 4 MiB leaked 192 MiB.
    let Some(_) = resident_bytes() else {
        eprintln!("skipped: no /proc/self/statm");
        return;
    };
    let padding = "; padding so that each read copies 4 MiB of IR\n".repeat((4 << 20) / 48);
    let ir = format!("{padding}define i64 @f(i64 %a) {{\n  ret i64 %a\n}}\n");
    // The first reads settle LLVM's own caches.
    for _ in 0..4 {
        compiler::check_ir(ir.as_bytes(), &IrLimits::default()).unwrap();
    }
    let before = resident_bytes().unwrap();
    for _ in 0..48 {
        compiler::check_ir(ir.as_bytes(), &IrLimits::default()).unwrap();
    }
    let grown = resident_bytes().unwrap().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "48 reads of 4 MiB of IR grew the process by {} MiB",
        grown >> 20
    );
}
