@t = thread_local global i64 0
define i64 @f(i64 %a) {
  %v = load i64, ptr @t
  %r = call i64 @f(i64 %v)
  ret i64 %r
}
