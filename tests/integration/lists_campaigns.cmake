# listOperation, importToList, getImportToListStatus, requestCampaign,
# scheduleCampaign, getCampaignsForSource end to end: mktows-shim against
# marketo-emulator, including a shim restart between importToList and
# getImportToListStatus.
mk_add_test(test_lists_campaigns SOURCES test_lists_campaigns.c LIBS mktows LABELS integration)
