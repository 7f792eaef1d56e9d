# Activity operations without a server: ActivityType alias table, type
# catalogue, REST activity -> SOAP record codec, non-nillable output filter.
mk_add_test(test_activity_types SOURCES test_activity_types.c LIBS mktows LABELS unit)
