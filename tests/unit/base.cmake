# Unit tests of src/base: the growable buffer (buf.c) and the clock helpers (clock.c).
mk_add_test(test_buf SOURCES test_buf.c LIBS mktows LABELS unit)

mk_add_test(test_clock SOURCES test_clock.c LIBS mktows LABELS unit)
