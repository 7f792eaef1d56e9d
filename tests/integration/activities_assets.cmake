# getLeadActivity, getLeadChanges, getChannels, getTags end to end:
# mktows-shim in front of marketo-emulator running on a seed each test builds.
mk_add_test(test_activities SOURCES test_activities.c acts_support.c LIBS mktows LABELS integration)
mk_add_test(test_assets SOURCES test_assets.c acts_support.c LIBS mktows LABELS integration)
