# Real client stacks against getLeadActivity, getLeadChanges, getChannels and
# getTags: python3-zeep and PHP SoapClient load ?WSDL from mktows-shim, which
# talks to marketo-emulator.
if(TARGET mktows-shim)
  set(MK_ACTS_CLIENT_ENV "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
                         "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  find_program(MK_ACTS_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(MK_ACTS_PYTHON3)
    add_test(NAME client_zeep_activities
             COMMAND ${MK_ACTS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/zeep_activities.py
                     $<TARGET_FILE:mktows-shim> $<TARGET_FILE:marketo-emulator> ${PROJECT_SOURCE_DIR})
    set_tests_properties(client_zeep_activities PROPERTIES LABELS clients TIMEOUT 300
                         ENVIRONMENT "${MK_ACTS_CLIENT_ENV}")
  endif()
  find_program(MK_ACTS_PHP php)
  if(MK_ACTS_PHP)
    add_test(NAME client_php_activities
             COMMAND ${MK_ACTS_PHP} ${CMAKE_CURRENT_SOURCE_DIR}/php_activities.php
                     $<TARGET_FILE:mktows-shim> $<TARGET_FILE:marketo-emulator> ${PROJECT_SOURCE_DIR})
    set_tests_properties(client_php_activities PROPERTIES LABELS clients TIMEOUT 300
                         ENVIRONMENT "${MK_ACTS_CLIENT_ENV}")
  endif()
endif()
