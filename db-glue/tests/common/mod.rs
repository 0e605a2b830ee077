//! IR that several integration tests register.
// Each test binary uses only some of these.
#![allow(dead_code)]

/// `add(BIGINT, BIGINT) -> BIGINT`, symbol `add`.
pub const ADD_IR: &str =
    "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";

/// `i32 f(Column<int64> x, i32 m, Column<int64> out)`: copies `x` (a RowMultiplier sizer).
pub fn copy_ir(symbol: &str) -> String {
    format!(
        "define i32 @{symbol}(ptr %x, i32 %m, ptr %out) {{
entry:
  %np = getelementptr {{ ptr, i64 }}, ptr %x, i32 0, i32 1
  %n = load i64, ptr %np
  %xd = load ptr, ptr %x
  %od = load ptr, ptr %out
  %bytes = mul i64 %n, 8
  call void @llvm.memcpy.p0.p0.i64(ptr %od, ptr %xd, i64 %bytes, i1 false)
  %r = trunc i64 %n to i32
  ret i32 %r
}}
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
"
    )
}
