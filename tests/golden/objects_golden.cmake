# The request examples of describeMObject, listMObjects, getMObjects, syncMObjects,
# deleteMObjects, getCustomObjects, syncCustomObjects and deleteCustomObjects
# (tests/golden/objects/), sent to mktows-shim backed by marketo-emulator.
if(TARGET mktows-shim)
  find_program(MK_GOLDEN_PYTHON3 NAMES python3 REQUIRED)
  add_test(NAME test_golden_objects
           COMMAND ${MK_GOLDEN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/test_golden_objects.py
                   $<TARGET_FILE:mktows-shim> $<TARGET_FILE:marketo-emulator>)
  set_tests_properties(test_golden_objects PROPERTIES LABELS golden TIMEOUT 300
                       ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()
