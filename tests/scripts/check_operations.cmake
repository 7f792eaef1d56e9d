# check_operations.cmake — ctest check_operations: cmake/operations.cmake
# must refuse an operations table that disagrees with the WSDL, naming the
# problem, and accept the real one.
#
#   cmake -DSRC=<source tree> -DWORK=<scratch dir> -P check_operations.cmake
#
# Each broken case is the real mapping/operations.json with one change made
# here through string(JSON), so the cases follow the table as it grows.

cmake_minimum_required(VERSION 3.25)
set(GEN ${SRC}/cmake/operations.cmake)
set(WSDL ${SRC}/wsdl/mktows.wsdl)
file(READ ${SRC}/mapping/operations.json real)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(failures 0)

# run(<case> <json text> <expected: OK or a regex of the message>)
function(run name text expect)
  file(WRITE ${WORK}/${name}.json "${text}")
  execute_process(COMMAND ${CMAKE_COMMAND} -DJSON=${WORK}/${name}.json -DWSDL=${WSDL}
                          -DOUT=${WORK}/${name}.out -P ${GEN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX REPLACE "[ \n]+" " " msg "${err}")
  if(expect STREQUAL "OK")
    file(STRINGS ${WORK}/${name}.out/mk_dispatch.c fns REGEX "^int __ns1__")
    file(STRINGS ${WORK}/${name}.out/mk_dispatch.c nils REGEX "soap_set_omode\\(soap, SOAP_XML_NIL\\)")
    list(LENGTH fns nfns)
    list(LENGTH nils nnils)
    string(JSON nops LENGTH "${text}" operations)
    string(REGEX MATCHALL "\"response_nil\": true" want_nils "${text}")
    list(LENGTH want_nils nwant)
    if(NOT rc EQUAL 0 OR NOT nfns EQUAL nops OR NOT nnils EQUAL nwant)
      message(SEND_ERROR "${name}: expected success with ${nops} service functions, "
                         "${nwant} in nil mode; got exit ${rc}, ${nfns} functions, "
                         "${nnils} in nil mode: ${msg}")
      math(EXPR f "${failures} + 1")
      set(failures ${f} PARENT_SCOPE)
    else()
      message(STATUS "${name}: accepted, ${nfns} service functions, ${nnils} in nil mode")
    endif()
  elseif(rc EQUAL 0 OR NOT msg MATCHES "${expect}")
    message(SEND_ERROR "${name}: expected failure matching '${expect}', "
                       "got exit ${rc}: ${msg}")
    math(EXPR f "${failures} + 1")
    set(failures ${f} PARENT_SCOPE)
  else()
    message(STATUS "${name}: refused as expected")
  endif()
endfunction()

run(real "${real}" OK)

string(JSON first GET "${real}" operations 0)
string(JSON first_name GET "${first}" name)
string(JSON n LENGTH "${real}" operations)

# An operation the WSDL has and the table lacks.
string(JSON missing REMOVE "${real}" operations 0)
run(missing "${missing}" "operation \"${first_name}\" is in the WSDL's portType but has no entry")

# An operation the table has and the WSDL lacks.
string(JSON extra_op SET "${first}" name "\"getLeadPhoneNumbers\"")
string(JSON extra_op SET "${extra_op}" handler "\"mk_op_get_lead_phone_numbers\"")
string(JSON extra SET "${real}" operations ${n} "${extra_op}")
run(extra "${extra}" "operation \"getLeadPhoneNumbers\" is not in the WSDL's portType")

# The same operation twice.
string(JSON dup SET "${real}" operations ${n} "${first}")
run(duplicate "${dup}" "operation \"${first_name}\" has two entries")

# A handler that is not an mk_op_* function.
string(JSON badh SET "${real}" operations 0 handler "\"__ns1__${first_name}\"")
run(bad_handler "${badh}" "handler \"__ns1__${first_name}\" must be a C function named mk_op_\\*")

# Two operations bound to one handler.
string(JSON second GET "${real}" operations 1)
string(JSON second_handler GET "${second}" handler)
string(JSON twoh SET "${real}" operations 0 handler "\"${second_handler}\"")
run(shared_handler "${twoh}" "handler \"${second_handler}\" is named by two entries")

# A family ops/ does not have.
string(JSON badf SET "${real}" operations 0 family "\"webinars\"")
run(bad_family "${badf}" "unknown family \"webinars\"")

# response_nil is true or false.
string(JSON badnil SET "${real}" operations 0 response_nil "\"yes\"")
run(bad_response_nil "${badnil}" "response_nil must be true or false")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} case(s) of cmake/operations.cmake misbehaved")
endif()
