-- C functions as SQL functions: udf-sql compiles each LANGUAGE c body with clang on
-- this machine and sends the LLVM IR as LANGUAGE llvm (see README.md here). The bodies
-- are collatz.c, hypexp.c and softplus.c, pasted unchanged between the $$ quotes.
--
-- Run:  udf-sql --data-dir /tmp/udf-demo -f examples/c/create.sql
--       (or against a server: udf-sql --host 127.0.0.1 -f examples/c/create.sql)

CREATE OR REPLACE FUNCTION collatz_steps(BIGINT) RETURNS BIGINT LANGUAGE c AS $$
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
$$;

CREATE OR REPLACE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE c AS $$
#include <math.h>

/* The same function as examples/sql/hypexp.sql's Numba one:
   sqrt(x^2 + y^2) * e^-x, written with libm. */
double hypexp(double x, double y) {
    return sqrt(x * x + y * y) * exp(-x);
}
$$;

CREATE OR REPLACE FUNCTION softplus(DOUBLE) RETURNS DOUBLE LANGUAGE c AS $$
#include <math.h>

/* log(1 + e^x) without overflow for large x or loss of precision for very negative
   x: softplus(x) = max(x, 0) + log1p(e^-|x|). */
double softplus(double x) {
    return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}
$$;

-- An integer loop. 0 and -5 have no Collatz path: the function returns BIGINT's NULL.
CREATE TABLE starts(n BIGINT);
INSERT INTO starts VALUES (1), (6), (7), (27), (97), (871), (0), (-5);
SELECT n, collatz_steps(n) AS steps FROM starts ORDER BY n;

-- Floating point with libm, next to the same formulas written with built-in functions.
CREATE TABLE points(x DOUBLE, y DOUBLE);
INSERT INTO points VALUES (0.0, 0.0), (0.5, 1.0), (1.0, 2.0), (-1.5, 0.25), (3.0, 4.0), (-800.0, 1.0), (800.0, 1.0);
SELECT x, y,
       hypexp(x, y) AS hypexp, sqrt(x * x + y * y) * exp(-x) AS hypexp_builtin,
       softplus(x) AS softplus, ln(1.0 + exp(x)) AS softplus_naive
FROM points
ORDER BY x, y;

-- The longest Collatz path below a million, over a million rows.
SELECT n, collatz_steps(n) AS steps
FROM (SELECT value AS n FROM generate_series(1, 999999))
ORDER BY steps DESC, n
LIMIT 1;
