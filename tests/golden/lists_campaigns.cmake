# The request examples of listOperation, importToList, getImportToListStatus,
# requestCampaign, scheduleCampaign and getCampaignsForSource
# (tests/golden/lists_campaigns/).
mk_add_golden_script(test_golden_lists_campaigns test_golden_lists_campaigns.py)
