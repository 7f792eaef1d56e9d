# Real SOAP client stacks against mktows-shim: the WSDL they load and the
# faults they read.
if(TARGET mktows-shim)
  set(MK_CLIENT_ENV "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
                    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  find_program(MK_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(MK_PYTHON3)
    add_test(NAME client_zeep
             COMMAND ${MK_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/zeep_wsdl.py
                     $<TARGET_FILE:mktows-shim>)
    set_tests_properties(client_zeep PROPERTIES LABELS clients TIMEOUT 120
                         ENVIRONMENT "${MK_CLIENT_ENV}")
  endif()
  find_program(MK_PHP php)
  if(MK_PHP)
    add_test(NAME client_php_soapclient
             COMMAND ${MK_PHP} ${CMAKE_CURRENT_SOURCE_DIR}/php_soapclient.php
                     $<TARGET_FILE:mktows-shim>)
    set_tests_properties(client_php_soapclient PROPERTIES LABELS clients TIMEOUT 120
                         ENVIRONMENT "${MK_CLIENT_ENV}")
  endif()
endif()
