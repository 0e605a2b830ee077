%big = type [4294967295 x [4294967295 x i64]]
@g = global [1099511627776 x i8] zeroinitializer
define i8388607 @f(i8388607 %a){
  %p = alloca %big
  %b = mul i8388607 %a, %a
  ret i8388607 %4294967295 x [4294967295 x i64]]
@g = global [1099511627776 x i8] zeroinitializer
define i8388607 @f(i8388607 %a){
  %p = alloca %big
  %b = mul ib
}
