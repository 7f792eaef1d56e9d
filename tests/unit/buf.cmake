# Unit test of the library's growable buffer (src/base/buf.c).
mk_add_test(test_buf SOURCES test_buf.c LIBS mktows LABELS unit)
