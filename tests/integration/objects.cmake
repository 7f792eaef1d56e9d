# The MObject and custom object operations end to end: mktows-shim against
# marketo-emulator (tests/integration/test_objects.c).
mk_add_test(test_objects SOURCES test_objects.c LIBS mktows LABELS integration)
