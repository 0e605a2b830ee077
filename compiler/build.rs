//! Builds the C fault guard (`src/guard.c`): the one frame that calls `sigsetjmp` before a
//! kernel runs, which Rust cannot do soundly.

fn main() {
    println!("cargo:rerun-if-changed=src/guard.c");
    cc::Build::new()
        .file("src/guard.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("udf_guard");
}
