# The request examples of getLeadActivity, getLeadChanges, getChannels and
# getTags (tests/golden/activities/), sent to mktows-shim backed by
# marketo-emulator, through python3's standard library.
find_program(MK_GOLDEN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET mktows-shim AND MK_GOLDEN_PYTHON3)
  add_test(NAME test_golden_activities
           COMMAND ${MK_GOLDEN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/test_golden_activities.py
                   $<TARGET_FILE:mktows-shim> $<TARGET_FILE:marketo-emulator> ${PROJECT_SOURCE_DIR})
  set_tests_properties(test_golden_activities PROPERTIES LABELS golden TIMEOUT 300
                       ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()
