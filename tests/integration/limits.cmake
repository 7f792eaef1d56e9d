# mktows-shim within Marketo's REST limits, against marketo-emulator enforcing
# them: bursts, injected 606/615/604, token expiry, REST down, daily quota.
mk_add_test(test_limits SOURCES test_limits.c LIBS mktows Threads::Threads LABELS integration)
