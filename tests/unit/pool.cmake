# Unit test of the worker pool (src/server/pool.c): it grows with demand up
# to its bound and shrinks back when idle.
mk_add_test(test_pool SOURCES test_pool.c LIBS mktows Threads::Threads LABELS unit)
