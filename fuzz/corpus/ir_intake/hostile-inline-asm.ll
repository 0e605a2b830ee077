define i64 @f(i64 %a) {
  %r = call i64 asm sideeffect "syscall", "=r,r"(i64 %a)
  ret i64 %r
}
