# The REST endpoint catalogue against mapping/operations.json, and the shared
# pager against the real emulator (about 1 s: 1,001 leads are created).
mk_add_test(test_endpoints SOURCES test_endpoints.c LIBS mktows LABELS unit)
mk_add_test(test_pager SOURCES test_pager.c LIBS mktows LABELS unit)
