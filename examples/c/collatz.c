#include <stdint.h>

/* One step of the Collatz map. `static`: only the function named like the SQL
   function may be external (the server looks the symbol up by that name). */
static int64_t collatz_next(int64_t n) {
    return n % 2 == 0 ? n / 2 : 3 * n + 1;
}

/* How many steps n takes to reach 1. Inputs below 1, and those whose path would
   overflow 64 bits, give INT64_MIN: the NULL of a BIGINT result. */
int64_t collatz_steps(int64_t n) {
    if (n < 1) {
        return INT64_MIN;
    }
    int64_t steps = 0;
    while (n != 1) {
        if (n > (INT64_MAX - 1) / 3) {
            return INT64_MIN;
        }
        n = collatz_next(n);
        steps++;
    }
    return steps;
}
