# How object writes are grouped into REST calls (src/ops/objects/objects.c mk_obj_batches).
mk_add_test(test_objbatch SOURCES test_objbatch.c LIBS mktows LABELS unit)
