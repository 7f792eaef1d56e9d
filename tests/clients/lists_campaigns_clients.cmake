# listOperation, importToList, getImportToListStatus, requestCampaign,
# scheduleCampaign and getCampaignsForSource through real client stacks
# (python3-zeep, PHP SoapClient), each against a fresh marketo-emulator +
# mktows-shim started by with_stack.sh.  The import store lives in memory and
# imports complete in a few hundred milliseconds.
if(TARGET mktows-shim AND TARGET marketo-emulator)
  set(MK_LC_CLIENT_ENV "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
                       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
                       "MKTOWS_IMPORT_DB=:memory:" "MKTOWS_EMU_IMPORT_STEP_MS=200")
  find_program(MK_LC_SH sh)
  find_program(MK_LC_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(MK_LC_PHP php)
  if(MK_LC_PYTHON3)
    add_test(NAME client_zeep_lists_campaigns
             COMMAND ${MK_LC_SH} ${CMAKE_CURRENT_SOURCE_DIR}/with_stack.sh
                     $<TARGET_FILE:marketo-emulator> $<TARGET_FILE:mktows-shim> --
                     ${MK_LC_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/zeep_lists_campaigns.py)
    set_tests_properties(client_zeep_lists_campaigns PROPERTIES LABELS clients TIMEOUT 180
                         ENVIRONMENT "${MK_LC_CLIENT_ENV}")
  endif()
  if(MK_LC_PHP)
    add_test(NAME client_php_lists_campaigns
             COMMAND ${MK_LC_SH} ${CMAKE_CURRENT_SOURCE_DIR}/with_stack.sh
                     $<TARGET_FILE:marketo-emulator> $<TARGET_FILE:mktows-shim> --
                     ${MK_LC_PHP} ${CMAKE_CURRENT_SOURCE_DIR}/php_lists_campaigns.php)
    set_tests_properties(client_php_lists_campaigns PROPERTIES LABELS clients TIMEOUT 180
                         ENVIRONMENT "${MK_LC_CLIENT_ENV}")
  endif()
endif()
