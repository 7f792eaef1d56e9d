# What ETL jobs do at scale (issue 15): big syncs with one odd value, Talend's
# default includeAttributes, paging over sparse activity windows.
mk_add_test(test_etl SOURCES test_etl.c acts_support.c LIBS mktows LABELS integration)
