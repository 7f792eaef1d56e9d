# The REST honesty check (tests/support/resthonesty.h) fails on tables that
# lie about an operation's REST calls, naming the operation and the call.
mk_add_test(test_rest_honesty SOURCES test_rest_honesty.c LIBS mktows LABELS integration)
