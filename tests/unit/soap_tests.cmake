# Unit tests of the SOAP side: authentication and configuration.
mk_add_test(test_auth SOURCES test_auth.c LIBS mktows LABELS unit)
mk_add_test(test_config SOURCES test_config.c LIBS mktows LABELS unit)
