# Real client stacks against getLeadActivity, getLeadChanges, getChannels and
# getTags.  Each check writes its own seed (activities dated from now); the
# emulator runs without Marketo's rate limit, so does the shim's quota guard.
set(MK_ACTS_CLIENT_STACK --seeded --emulator-arg --rate-limit --emulator-arg off)
set(MK_ACTS_CLIENT_ENV MKTOWS_REST_RATE_LIMIT=100000 MKTOWS_MAPPING_DIR=${PROJECT_SOURCE_DIR}/mapping)
mk_add_client_test(client_zeep_activities zeep_activities.py TIMEOUT 300
                   STACK ${MK_ACTS_CLIENT_STACK} ENV ${MK_ACTS_CLIENT_ENV})
mk_add_client_test(client_php_activities php_activities.php TIMEOUT 300
                   STACK ${MK_ACTS_CLIENT_STACK} ENV ${MK_ACTS_CLIENT_ENV})
