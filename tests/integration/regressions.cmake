# Regressions found in review, end to end (mktows-shim in front of
# marketo-emulator); each test names the bug it guards against.
mk_add_test(test_regressions SOURCES test_regressions.c LIBS mktows LABELS integration)
