# What the object operations share: metadata cache, write batches, values (src/ops/core/objcache.c, objects.c).
mk_add_test(test_objcache SOURCES test_objcache.c LIBS mktows LABELS unit)
