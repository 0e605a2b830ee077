-- hypexp: a Python function compiled by Numba (rbc) to LLVM IR, registered as a SQL
-- function and run over a table.
--
--     def hypexp(x: float, y: float) -> float:
--         return math.sqrt(x*x + y*y) * math.exp(-x)
--
-- The IR below is rbc's output for numba 0.68 (shared/ir-samples/remotejit/
-- numba068_hypexp_daddA.cpu.ll), pasted unchanged between the $$ quotes.
--
-- Run:  udf-sql --data-dir /tmp/udf-demo -f examples/sql/hypexp.sql

CREATE OR REPLACE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE llvm AS $$
; hypexp float64(float64, float64) mangled=_daddA fullname=hypexp_daddA target=host_cpu ok=[0]
; ModuleID = 'rbc.irtools.compile_to_IR'
source_filename = "<string>"
target triple = "x86_64-unknown-linux-gnu"

@_ZN08NumbaEnv8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd = common local_unnamed_addr global ptr null

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.sqrt.f64(double) #0

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(errnomem: write)
declare double @exp(double) local_unnamed_addr #1

; Function Attrs: mustprogress nofree norecurse nounwind willreturn memory(errnomem: write)
define double @hypexp_daddA(double %.1, double %.2) local_unnamed_addr #2 {
entry:
  %.6.i = fmul double %.1, %.1
  %.7.i = fmul double %.2, %.2
  %.8.i = fadd double %.6.i, %.7.i
  %sqrt.i = tail call double @llvm.sqrt.f64(double %.8.i)
  %.10.i = fneg double %.1
  %.11.i = tail call double @exp(double %.10.i), !noalias !2
  %.12.i = fmul double %sqrt.i, %.11.i
  ret double %.12.i
}

attributes #0 = { mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #1 = { mustprogress nocallback nofree nounwind willreturn memory(errnomem: write) }
attributes #2 = { mustprogress nofree norecurse nounwind willreturn memory(errnomem: write) }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 4, !"pass_column_arguments_by_value", i1 false}
!1 = !{i32 4, !"manage_memory_buffer", i1 true}
!2 = !{!3}
!3 = distinct !{!3, !4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd: %retptr"}
!4 = distinct !{!4, !"_ZN8__main__6hypexpB2v2B42c8tJTC_2fWQA93W1AaAIYBPIqRBFCjDSZRVAJmaQIAEdd"}
$$;

CREATE TABLE points(x DOUBLE, y DOUBLE);
INSERT INTO points VALUES (0.0, 0.0), (0.5, 1.0), (1.0, 2.0), (-1.5, 0.25), (3.0, 4.0);

-- The UDF next to the same formula written with built-in functions.
SELECT x, y, hypexp(x, y) AS udf, sqrt(x * x + y * y) * exp(-x) AS builtin
FROM points
ORDER BY x, y;

-- A million rows.
CREATE TABLE grid AS
SELECT CAST(value AS DOUBLE) / 1e6 AS x, CAST(value % 1000 AS DOUBLE) / 1000.0 AS y
FROM generate_series(1, 1000000);

SELECT count(*) AS n, sum(hypexp(x, y)) AS udf_sum, sum(sqrt(x * x + y * y) * exp(-x)) AS builtin_sum
FROM grid;

SHOW FUNCTIONS;
