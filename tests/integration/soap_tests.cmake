# mktows-shim over real HTTP (no REST back-end needed).
mk_add_test(test_endpoint SOURCES test_endpoint.c LIBS mktows LABELS integration)
