# Deploying checks (issue 12): native TLS, Prometheus metrics, SIGHUP
# reload, readiness and --check-config.  Each ops_*.py starts its own
# marketo-emulator and mktows-shim (ops_support.py), as it needs
# configurations with_stack.sh does not make (TLS files, metrics.listen,
# users rewritten under load).  They need openssl and php (ops_tls),
# promtool and prometheus (ops_metrics), Debian's python3 with zeep and
# requests; tests/scripts/deps.sh installs them all.
find_program(MK_OPS_OPENSSL openssl)
find_program(MK_OPS_PROMTOOL promtool)
find_program(MK_OPS_PROMETHEUS prometheus)

function(mk_add_ops_test name script)
  cmake_parse_arguments(O "" "TIMEOUT" "NEEDS" ${ARGN})
  if(NOT TARGET mktows-shim OR NOT TARGET marketo-emulator OR NOT MK_CLIENT_PYTHON3)
    return()
  endif()
  foreach(need IN LISTS O_NEEDS)
    if(NOT ${need})
      message(STATUS "${name} left out: ${need} not found (tests/scripts/deps.sh installs it)")
      return()
    endif()
  endforeach()
  add_test(NAME ${name} COMMAND ${MK_HONESTY_RUN} ${MK_CLIENT_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/${script})
  set_tests_properties(${name} PROPERTIES LABELS "clients;ops" TIMEOUT ${O_TIMEOUT}
    ENVIRONMENT "MKTOWS_SHIM=$<TARGET_FILE:mktows-shim>;MKTOWS_EMULATOR=$<TARGET_FILE:marketo-emulator>;ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

mk_add_ops_test(ops_tls ops_tls.py TIMEOUT 180 NEEDS MK_OPS_OPENSSL MK_CLIENT_PHP)
mk_add_ops_test(ops_metrics ops_metrics.py TIMEOUT 180 NEEDS MK_OPS_PROMTOOL MK_OPS_PROMETHEUS)
mk_add_ops_test(ops_reload ops_reload.py TIMEOUT 180)
mk_add_ops_test(ops_ready ops_ready.py TIMEOUT 180)
