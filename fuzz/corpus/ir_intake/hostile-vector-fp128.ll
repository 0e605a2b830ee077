define <4 x fp128> @f(<4 x fp128> %a, x86_fp80 %b) {
  %c = fpext x86_fp80 %b to fp128
  %v = insertelement <4 x fp128> %a, fp128 %c, i32 7
  ret <4 x fp128> %v
}
