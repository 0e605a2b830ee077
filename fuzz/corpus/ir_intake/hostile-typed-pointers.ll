define double @f(double* %p, i64 %n) {
  %q = getelementptr double, double* %p, i64 %n
  %v = load double, double* %q
  ret double %v
}
