@environ = external global ptr
define i64 @f(i64 %a) {
  %p = load ptr, ptr @environ
  %v = ptrtoint ptr %p to i64
  ret i64 %v
}
