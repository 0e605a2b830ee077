define i64 @f(i64 %a) !dbg !3 {
  ret i64 %a, !dbg !9
}
!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!5}
!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, isOptimized: true, emissionKind: FullDebug)
!1 = !DIFile(filename: "x.c", directory: "/")
!3 = distinct !DISubprogram(name: "f", scope: !1, file: !1, unit: !0)
!5 = !{i32 2, !"Debug Info Version", i32 3}
!9 = !DILocation(line: 1, scope: !42)
!42 = !{}
