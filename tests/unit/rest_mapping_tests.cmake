# Unit tests of the REST client (src/rest) and the mapping tables (src/mapping).
mk_add_test(test_rest_url SOURCES test_rest_url.c LIBS mktows LABELS unit)
mk_add_test(test_rest_json SOURCES test_rest_json.c LIBS mktows LABELS unit)
# REST client against an in-process fake Marketo (libmicrohttpd); no emulator needed.
mk_add_test(test_rest_client_fake SOURCES test_rest_client.c LIBS mktows LABELS unit)
mk_add_test(test_mapping SOURCES test_mapping.c LIBS mktows LABELS unit)
