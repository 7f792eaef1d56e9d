# Data files of the installed programs (mapping tables, the emulator's seed):
# where the code looks for them (src/base/datapath.c) and how the build tree
# is made to look like an install so its programs run uninstalled.
#
# Nothing here compiles the source tree's path into a program: the build tree
# gets symbolic links to the sources at the place an install would put the
# files, relative to the built program.

# Relative paths from the program and library directories to the data
# directory, and the data directory itself, as configured.
file(RELATIVE_PATH MK_BIN_TO_DATA ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR})
file(RELATIVE_PATH MK_LIB_TO_DATA ${CMAKE_INSTALL_FULL_LIBDIR} ${CMAKE_INSTALL_FULL_DATADIR})

# Give a target that compiles src/base/datapath.c its three places.
function(mk_datapath_definitions target)
  target_compile_definitions(${target} PRIVATE
      MK_DATADIR="${CMAKE_INSTALL_FULL_DATADIR}"
      MK_BIN_TO_DATA="${MK_BIN_TO_DATA}"
      MK_LIB_TO_DATA="${MK_LIB_TO_DATA}")
endfunction()

# mk_stage_data(PACKAGE SOURCE NAME): make SOURCE (file or directory) visible
# as DATADIR/PACKAGE/NAME for a program built in the current binary
# directory, by the rule a relocated install follows (BINDIR/MK_BIN_TO_DATA).
function(mk_stage_data package source name)
  get_filename_component(stage "${CMAKE_CURRENT_BINARY_DIR}/${MK_BIN_TO_DATA}/${package}"
                         ABSOLUTE)
  string(FIND "${stage}/" "${CMAKE_BINARY_DIR}/" at)
  if(NOT at EQUAL 0)
    message(WARNING "mktows: ${package} data would be staged outside the build tree "
                    "(${stage}); uninstalled programs need MKTOWS_MAPPING_DIR or --seed")
    return()
  endif()
  file(MAKE_DIRECTORY ${stage})
  file(REMOVE ${stage}/${name})
  file(CREATE_LINK ${source} ${stage}/${name} SYMBOLIC)
endfunction()
