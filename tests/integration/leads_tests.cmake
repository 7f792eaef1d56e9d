# The five lead operations end to end: mktows-shim against marketo-emulator.
mk_add_test(test_leads SOURCES test_leads.c LIBS mktows LABELS integration)
