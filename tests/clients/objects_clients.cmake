# The eight MObject and custom object operations through real client stacks
# (python3-zeep, PHP SoapClient), each against a fresh marketo-emulator +
# mktows-shim started by with_stack.sh.
if(TARGET mktows-shim AND TARGET marketo-emulator)
  set(MK_OBJECTS_CLIENT_ENV "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
                            "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  find_program(MK_OBJECTS_SH sh)
  find_program(MK_OBJECTS_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(MK_OBJECTS_PHP php)
  if(MK_OBJECTS_PYTHON3)
    add_test(NAME client_zeep_objects
             COMMAND ${MK_OBJECTS_SH} ${CMAKE_CURRENT_SOURCE_DIR}/with_stack.sh
                     $<TARGET_FILE:marketo-emulator> $<TARGET_FILE:mktows-shim> --
                     ${MK_OBJECTS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/zeep_objects.py)
    set_tests_properties(client_zeep_objects PROPERTIES LABELS clients TIMEOUT 180
                         ENVIRONMENT "${MK_OBJECTS_CLIENT_ENV}")
  endif()
  if(MK_OBJECTS_PHP)
    add_test(NAME client_php_objects
             COMMAND ${MK_OBJECTS_SH} ${CMAKE_CURRENT_SOURCE_DIR}/with_stack.sh
                     $<TARGET_FILE:marketo-emulator> $<TARGET_FILE:mktows-shim> --
                     ${MK_OBJECTS_PHP} ${CMAKE_CURRENT_SOURCE_DIR}/php_objects.php)
    set_tests_properties(client_php_objects PROPERTIES LABELS clients TIMEOUT 180
                         ENVIRONMENT "${MK_OBJECTS_CLIENT_ENV}")
  endif()
endif()
