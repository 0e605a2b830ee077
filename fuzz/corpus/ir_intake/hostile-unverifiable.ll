define i64 @f(i64 %a) {
entry:
  br label %next
next:
  %x = add i64 %y, 1
  %y = add i64 %x, 1
  ret i32 0
}
