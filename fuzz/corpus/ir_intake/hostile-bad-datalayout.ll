target datalayout = "e-p:0:0-i64:7"
define i64 @f(i64 %a) {
  ret i64 %a
}
