# Unit tests of the quota guard (src/rest/limiter.c) and the coalescer
# (src/ops/coalesce.c, against an in-process fake Marketo).
mk_add_test(test_limiter SOURCES test_limiter.c LIBS mktows Threads::Threads LABELS unit)
mk_add_test(test_coalesce SOURCES test_coalesce.c LIBS mktows Threads::Threads LABELS unit)
