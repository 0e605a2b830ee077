@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 0, ptr @init, ptr null }]
define void @init() {
  ret void
}
define i64 @f(i64 %a) {
  ret i64 %a
}
