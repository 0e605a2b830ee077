target triple = "sparc-unknown-fuchsia-musl"
define i64 @f(i64 %a) {
  ret i64 %a
}
