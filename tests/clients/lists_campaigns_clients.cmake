# listOperation, importToList, getImportToListStatus, requestCampaign,
# scheduleCampaign and getCampaignsForSource through real client stacks.  The
# import store lives in memory and imports complete in a few hundred
# milliseconds.
set(MK_LC_CLIENT_ENV MKTOWS_IMPORT_DB=:memory: MKTOWS_EMU_IMPORT_STEP_MS=200)
mk_add_client_test(client_zeep_lists_campaigns zeep_lists_campaigns.py ENV ${MK_LC_CLIENT_ENV})
mk_add_client_test(client_php_lists_campaigns php_lists_campaigns.php ENV ${MK_LC_CLIENT_ENV})
