# Issue 12's server side without a network: the Prometheus text writer and
# the configuration generations of a reload (many threads, ASan).
mk_add_test(test_deploy SOURCES test_deploy.c LIBS mktows Threads::Threads LABELS unit)
