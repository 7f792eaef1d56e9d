# Stream positions: round trip, tampering, other users' keys.
mk_add_test(test_streampos SOURCES test_streampos.c LIBS mktows LABELS unit)
