# operations.cmake — generates the operation dispatch from mapping/operations.json,
# checked against the WSDL's portType, so that the JSON table, the WSDL and the
# handler functions cannot drift apart (Redis generates its command table the
# same way from per-command metadata).
#
#   cmake -DJSON=mapping/operations.json -DWSDL=wsdl/mktows.wsdl -DOUT=<dir>
#         -P cmake/operations.cmake
#
# (response_nil, optional, makes the service function switch the answer to
# xsi:nil for absent members before the handler runs)
#
# writes into OUT (the build tree, never the source tree):
#   mk_operations.h / mk_operations.c  the plain list of operation names and
#       families, for the low layers (mapping/ validates the run-time table
#       against it); the only list of operations in C
#   mk_handlers.h   one prototype per handler named by an entry, e.g.
#       int mk_op_get_lead(mk_op *op, struct ns1__ParamsGetLead *in,
#                          struct ns1__SuccessGetLead *out);
#       the handlers' files include it, so a wrong signature fails to compile
#   mk_dispatch.c   the operation table (mk_op_entries[]) and the gSOAP service
#       functions __ns1__<op>: each runs the one prologue (ops/core/op.c) and
#       calls its handler; a handler that does not exist fails the link
#
# Any disagreement stops with "operations.json: ..." and a non-zero exit: an
# operation the WSDL has and the JSON lacks or the reverse, a name twice in
# either, a handler not named mk_op_*, a handler twice, an unknown family or
# status.  Files are rewritten only when their text changes.

cmake_minimum_required(VERSION 3.25)

foreach(v JSON WSDL OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "operations.cmake: -D${v}=... is required")
  endif()
endforeach()

# The families an operation may belong to (the folders and groups of ops/).
set(MK_FAMILIES leads activities lists campaigns mobjects customobjects assets import)

function(mk_ops_fail msg)
  message(FATAL_ERROR "operations.json: ${msg}\n"
                      "  (table: ${JSON}; WSDL: ${WSDL})")
endfunction()

# ---- the WSDL's portType operations --------------------------------------
file(READ "${WSDL}" wsdl)
string(FIND "${wsdl}" "<wsdl:portType " pt_begin)
string(FIND "${wsdl}" "</wsdl:portType>" pt_end)
if(pt_begin LESS 0 OR pt_end LESS pt_begin)
  mk_ops_fail("the WSDL has no <wsdl:portType>")
endif()
math(EXPR pt_len "${pt_end} - ${pt_begin}")
string(SUBSTRING "${wsdl}" ${pt_begin} ${pt_len} port_type)
string(REGEX MATCHALL "<wsdl:operation name=\"[A-Za-z0-9_]+\"" wsdl_ops "${port_type}")
set(wsdl_names "")
foreach(m IN LISTS wsdl_ops)
  string(REGEX REPLACE "^<wsdl:operation name=\"([A-Za-z0-9_]+)\"$" "\\1" n "${m}")
  if(n IN_LIST wsdl_names)
    mk_ops_fail("the WSDL's portType lists operation \"${n}\" twice")
  endif()
  list(APPEND wsdl_names "${n}")
endforeach()
if(NOT wsdl_names)
  mk_ops_fail("the WSDL's portType has no operations")
endif()

# ---- the JSON entries ----------------------------------------------------
file(READ "${JSON}" json)
string(JSON nops ERROR_VARIABLE jerr LENGTH "${json}" operations)
if(jerr)
  mk_ops_fail("cannot read the operations array: ${jerr}")
endif()
set(names "")
set(handlers "")
set(families "")
set(statuses "")
set(nils "")
math(EXPR last "${nops} - 1")
foreach(i RANGE ${last})
  foreach(field name family handler status)
    string(JSON ${field} ERROR_VARIABLE jerr GET "${json}" operations ${i} ${field})
    if(jerr)
      mk_ops_fail("operations[${i}]: no \"${field}\" (${jerr})")
    endif()
  endforeach()
  set(entry "operations[${i}] (${name})")
  # Optional: absent is false.
  string(JSON nil_type ERROR_VARIABLE jerr TYPE "${json}" operations ${i} response_nil)
  if(jerr)
    set(response_nil 0)
  elseif(nil_type STREQUAL "BOOLEAN")
    string(JSON response_nil GET "${json}" operations ${i} response_nil)
    if(response_nil)
      set(response_nil 1)
    else()
      set(response_nil 0)
    endif()
  else()
    mk_ops_fail("${entry}: response_nil must be true or false")
  endif()
  if(NOT name MATCHES "^[a-z][A-Za-z0-9]*$")
    mk_ops_fail("${entry}: \"${name}\" is not an operation name")
  endif()
  if(name IN_LIST names)
    mk_ops_fail("${entry}: operation \"${name}\" has two entries")
  endif()
  if(NOT name IN_LIST wsdl_names)
    mk_ops_fail("${entry}: operation \"${name}\" is not in the WSDL's portType")
  endif()
  if(NOT handler MATCHES "^mk_op_[a-z0-9_]+$")
    mk_ops_fail("${entry}: handler \"${handler}\" must be a C function named mk_op_*")
  endif()
  if(handler IN_LIST handlers)
    mk_ops_fail("${entry}: handler \"${handler}\" is named by two entries")
  endif()
  if(NOT family IN_LIST MK_FAMILIES)
    string(REPLACE ";" ", " known "${MK_FAMILIES}")
    mk_ops_fail("${entry}: unknown family \"${family}\" (known: ${known})")
  endif()
  if(NOT status MATCHES "^(implemented|unsupported)$")
    mk_ops_fail("${entry}: status \"${status}\" must be implemented or unsupported")
  endif()
  list(APPEND names "${name}")
  list(APPEND handlers "${handler}")
  list(APPEND families "${family}")
  list(APPEND statuses "${status}")
  list(APPEND nils "${response_nil}")
endforeach()
foreach(n IN LISTS wsdl_names)
  if(NOT n IN_LIST names)
    mk_ops_fail("operation \"${n}\" is in the WSDL's portType but has no entry")
  endif()
endforeach()

# ---- generated text --------------------------------------------------------
set(banner "/* Generated by cmake/operations.cmake from mapping/operations.json and\n * wsdl/mktows.wsdl; do not edit. */\n")

set(h "${banner}#ifndef MK_OPERATIONS_H\n#define MK_OPERATIONS_H\n\n#include <stddef.h>\n\n")
string(APPEND h "/* The operations of the WSDL, in operations.json order. */\n")
string(APPEND h "#define MK_OPERATION_COUNT ${nops}\n\n")
string(APPEND h "extern const char *const mk_operation_names[MK_OPERATION_COUNT];\n\n")
string(APPEND h "/* The families an operation may belong to, NULL-terminated. */\n")
string(APPEND h "extern const char *const mk_operation_families[];\n\n#endif\n")

set(c "${banner}#include \"mk_operations.h\"\n\nconst char *const mk_operation_names[MK_OPERATION_COUNT] = {\n")
foreach(n IN LISTS names)
  string(APPEND c "    \"${n}\",\n")
endforeach()
string(APPEND c "};\n\nconst char *const mk_operation_families[] = {\n")
foreach(f IN LISTS MK_FAMILIES)
  string(APPEND c "    \"${f}\",\n")
endforeach()
string(APPEND c "    NULL,\n};\n")

set(hh "${banner}#ifndef MK_HANDLERS_H\n#define MK_HANDLERS_H\n\n#include \"mk_operations.h\"\n#include \"soapH.h\"\n#include \"ops/core/op.h\"\n\n")
set(d "${banner}#include \"mk_handlers.h\"\n\nconst mk_operation mk_op_entries[MK_OPERATION_COUNT] = {\n")
set(fns "")
set(i 0)
foreach(n IN LISTS names)
  list(GET handlers ${i} handler)
  list(GET families ${i} family)
  list(GET statuses ${i} status)
  list(GET nils ${i} nil)
  string(SUBSTRING "${n}" 0 1 first)
  string(TOUPPER "${first}" first)
  string(SUBSTRING "${n}" 1 -1 rest)
  set(cap "${first}${rest}")
  if(status STREQUAL "implemented")
    set(impl 1)
    string(APPEND hh "int ${handler}(mk_op *op, struct ns1__Params${cap} *in,\n"
                     "    struct ns1__Success${cap} *out);\n")
    set(call "    return ${handler}(&op, in, out);\n")
  else()
    set(impl 0)
    # No handler yet: 20019 once authenticated; the function is not referenced.
    set(call "    (void)out;\n    return mk_fault(soap, MK_ERR_UNSUPPORTED,\n"
             "        \"Unsupported Operation: %s is not implemented yet\", op.entry->name);\n")
  endif()
  string(APPEND d "    {\"${n}\", \"${family}\", \"${handler}\", \"params${cap}\", ${impl}, ${nil}},\n")
  if(nil)
    set(call "    soap_set_omode(soap, SOAP_XML_NIL);\n${call}")
  endif()
  string(APPEND fns "\nint __ns1__${n}(struct soap *soap, struct ns1__Params${cap} *in,\n"
                    "    struct ns1__Success${cap} *out)\n{\n    mk_op op;\n"
                    "    if (mk_op_begin(soap, &mk_op_entries[${i}], in, &op) != SOAP_OK)\n"
                    "        return soap->error;\n${call}}\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND hh "\nextern const mk_operation mk_op_entries[MK_OPERATION_COUNT];\n\n#endif\n")
string(APPEND d "};\n${fns}")

function(mk_ops_write name text)
  file(WRITE "${OUT}/${name}.tmp" "${text}")
  file(COPY_FILE "${OUT}/${name}.tmp" "${OUT}/${name}" ONLY_IF_DIFFERENT)
  file(REMOVE "${OUT}/${name}.tmp")
endfunction()
file(MAKE_DIRECTORY "${OUT}")
mk_ops_write(mk_operations.h "${h}")
mk_ops_write(mk_operations.c "${c}")
mk_ops_write(mk_handlers.h "${hh}")
mk_ops_write(mk_dispatch.c "${d}")
