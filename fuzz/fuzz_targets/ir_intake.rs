//! Bytes → the compiler's IR intake: parse, verify, the IR policy (see
//! `udf_server_fuzz::ir_intake`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = udf_server_fuzz::ir_intake(data);
});
