declare i32 @__gxx_personality_v0(...)
define i64 @f(i64 %a) gc "nonexistent" personality ptr @__gxx_personality_v0 {
entry:
  indirectbr ptr blockaddress(@f, %out), [label %out]
out:
  ret i64 %a
}
