# Unit tests of the quota guard (src/rest/limiter.c) and the coalescer
# (src/ops/core/coalesce.c, against an in-process fake Marketo).
mk_add_test(test_limiter SOURCES test_limiter.c LIBS mktows Threads::Threads LABELS unit)
mk_add_test(test_coalesce SOURCES test_coalesce.c LIBS mktows Threads::Threads LABELS unit)
# The lead field cache's first describe, waited for within each request's
# own deadline (against marketo-emulator with injected latency).
mk_add_test(test_fields_wait SOURCES test_fields_wait.c LIBS mktows Threads::Threads LABELS unit)
