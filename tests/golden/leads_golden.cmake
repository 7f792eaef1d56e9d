# The request examples of getLead, getMultipleLeads, syncLead,
# syncMultipleLeads and mergeLeads (tests/golden/leads/).
if(TARGET mktows-shim)
  mk_add_test(test_golden_leads SOURCES test_golden_leads.c LIBS mktows LABELS golden)
endif()
