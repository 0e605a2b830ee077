#include <math.h>

/* The same function as examples/sql/hypexp.sql's Numba one:
   sqrt(x^2 + y^2) * e^-x, written with libm. */
double hypexp(double x, double y) {
    return sqrt(x * x + y * y) * exp(-x);
}
