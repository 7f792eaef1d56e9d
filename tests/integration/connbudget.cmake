# The connection budget (deadlines, minimum rate, per-address limit, buffered
# bytes, reserve) and trusted proxies, over real sockets (issue 9, 3 and 6b).
mk_add_test(test_connbudget SOURCES test_connbudget.c LIBS mktows LABELS integration)
