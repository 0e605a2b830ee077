#include <math.h>

/* log(1 + e^x) without overflow for large x or loss of precision for very negative
   x: softplus(x) = max(x, 0) + log1p(e^-|x|). */
double softplus(double x) {
    return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}
