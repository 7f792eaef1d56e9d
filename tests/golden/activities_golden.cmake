# The request examples of getLeadActivity, getLeadChanges, getChannels and
# getTags (tests/golden/activities/).
mk_add_golden_script(test_golden_activities test_golden_activities.py)
