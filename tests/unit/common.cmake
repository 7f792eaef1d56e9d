# Decide-then-fault of the operation handlers (src/ops/core/common.c).
mk_add_test(test_common SOURCES test_common.c LIBS mktows LABELS unit)
