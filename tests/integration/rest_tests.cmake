# REST client against the real marketo-emulator.
mk_add_test(test_rest_client SOURCES test_rest_client.c LIBS mktows Threads::Threads
            LABELS integration)
