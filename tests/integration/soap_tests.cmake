# mktows-shim over real HTTP (no REST back-end needed).
mk_add_test(test_endpoint SOURCES test_endpoint.c LIBS mktows LABELS integration)
# The gate in front of gSOAP over HTTP: legacy forms, authentication before
# the body, two Bodies, duplicate ids, limits.
mk_add_test(test_gate SOURCES test_gate.c LIBS mktows LABELS integration)
