# LeadRecord <-> REST JSON, checked on the wire through the generated gSOAP code.
mk_add_test(test_leadrec SOURCES test_leadrec.c LIBS mktows LABELS unit)
