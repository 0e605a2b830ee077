declare i32 @system(ptr)
@sys = alias i32 (ptr), ptr @system
@r = ifunc i64 (i64), ptr @resolve
define ptr @resolve() {
  ret ptr @f
}
define i64 @f(i64 %a) {
  ret i64 %a
}
