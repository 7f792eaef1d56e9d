# seeds.cmake — cmake -DTOP=<source dir> -DOUT=<dir> -P seeds.cmake
# Writes the fuzz targets' seed corpora from the golden documents:
#   engine/     every golden request document as it is (a Body's content
#               is wrapped and signed by the target, an envelope sent as is),
#               and the Body of each envelope alone
#   records/    every lead and activity of the golden seeds and of the
#               emulator's seed, one JSON record per file
#   streampos/  the records again (any JSON object is a state to encode)
#   config/     the configuration of the golden checks' stack, and the same
#               with MKTOWS_* lines after a 0x01 byte
file(REMOVE_RECURSE ${OUT})
foreach(d engine records streampos config)
  file(MAKE_DIRECTORY ${OUT}/${d})
endforeach()

file(GLOB requests ${TOP}/tests/golden/*/*.request.xml)
foreach(f IN LISTS requests)
  get_filename_component(name ${f} NAME)
  get_filename_component(dir ${f} DIRECTORY)
  get_filename_component(family ${dir} NAME)
  configure_file(${f} ${OUT}/engine/${family}-${name} COPYONLY)
  # A whole envelope carries the document's own (stale) signature: its Body
  # alone is a seed too, which the target signs, so it reaches the handler.
  file(READ ${f} text)
  if(text MATCHES "<[A-Za-z0-9_-]+:Body>(.*)</[A-Za-z0-9_-]+:Body>")
    file(WRITE ${OUT}/engine/${family}-body-${name} "${CMAKE_MATCH_1}")
  endif()
endforeach()

file(GLOB seeds ${TOP}/tests/golden/*/*.seed.json)
list(APPEND seeds ${TOP}/emulator/seed/default.json)
set(n 0)
foreach(f IN LISTS seeds)
  file(READ ${f} text)
  foreach(member leads activities)
    string(JSON count ERROR_VARIABLE err LENGTH "${text}" ${member})
    if(err OR count EQUAL 0)
      continue()
    endif()
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      string(JSON rec GET "${text}" ${member} ${i})
      math(EXPR n "${n} + 1")
      file(WRITE ${OUT}/records/${member}-${n}.json "${rec}")
      file(WRITE ${OUT}/streampos/${member}-${n}.json "${rec}")
    endforeach()
  endforeach()
endforeach()

set(cfg "{\"listen\": \"127.0.0.1:0\", \"rest\": {\"endpoint\": \"http://127.0.0.1:9090\", \"identity\": \"http://127.0.0.1:9090/identity\", \"client_id\": \"id\", \"client_secret\": \"secret\", \"rate_limit\": 100}, \"soap_users\": {\"bigcorp1_461839624B16E06BA2D663\": {\"encryption_key\": \"899756834129871744AAEE88DDCC77CDEEDEC1AAAD66\"}}, \"timeouts\": {\"request_seconds\": 30}}")
file(WRITE ${OUT}/config/minimal.json "${cfg}")
string(ASCII 1 sep)
file(WRITE ${OUT}/config/with-env.txt "${cfg}${sep}MKTOWS_REQUEST_TIMEOUT=5\nMKTOWS_REST_RETRY_MAX=2\n")
file(WRITE ${OUT}/stamp "")
