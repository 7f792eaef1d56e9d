# The shared test helpers themselves (tests/support/testsupport.h,
# soapstack.h): readers, fault check, group runner.
if(TARGET mk_soapstack)
  mk_add_test(test_testsupport SOURCES test_testsupport.c LABELS unit)
endif()
