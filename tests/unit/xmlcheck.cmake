# The well-formedness gate in front of gSOAP.
mk_add_test(test_xmlcheck SOURCES test_xmlcheck.c LIBS mktows LABELS unit)
