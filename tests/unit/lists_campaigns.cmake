# The services behind the list, import and campaign operations: the name -> id
# cache and the SQLite import store.
mk_add_test(test_namecache SOURCES test_namecache.c LIBS mktows LABELS unit)
mk_add_test(test_importstore SOURCES test_importstore.c LIBS mktows LABELS unit)
