declare i32 @system(ptr)
@cmd = private constant [3 x i8] c"id\00"
define i64 @f(i64 %a) {
  %r = call i32 @system(ptr @cmd)
  ret i64 %a
}
