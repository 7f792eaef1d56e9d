# What `cmake --install` adds besides the programs and the tables (those are
# installed next to their targets in src/): the public header, pkg-config and
# CMake package files for embedding libmktows, the man pages, an example
# configuration and the systemd unit with its system user.
include(CMakePackageConfigHelpers)

install(FILES ${PROJECT_SOURCE_DIR}/include/mktows.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# mktows.pc names the prefix given at install time (`cmake --install --prefix`
# may differ from the configured one), so it is written when installing.
set(MK_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(CODE "
  set(MK_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/mktows.pc.in\" \"${PROJECT_BINARY_DIR}/pc/mktows.pc\" @ONLY)
  file(INSTALL \"${PROJECT_BINARY_DIR}/pc/mktows.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${MK_PC_DIR}\")" COMPONENT dev)

# find_package(mktows): mktows::mktows is the shared library; with
# COMPONENTS static, mktows::mktows_static is the archive.
set(MK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mktows)
install(EXPORT mktowsTargets NAMESPACE mktows:: DESTINATION ${MK_CMAKE_DIR} COMPONENT dev)
install(EXPORT mktowsStaticTargets NAMESPACE mktows:: DESTINATION ${MK_CMAKE_DIR}
        COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mktowsConfig.cmake.in
    ${PROJECT_BINARY_DIR}/mktowsConfig.cmake INSTALL_DESTINATION ${MK_CMAKE_DIR})
# 0.x: a new minor version may change the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mktowsConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mktowsConfig.cmake
              ${PROJECT_BINARY_DIR}/mktowsConfigVersion.cmake
        DESTINATION ${MK_CMAKE_DIR} COMPONENT dev)

install(FILES ${PROJECT_SOURCE_DIR}/man/mktows-shim.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT shim)
install(FILES ${PROJECT_SOURCE_DIR}/man/marketo-emulator.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT emulator)
install(FILES ${PROJECT_SOURCE_DIR}/dist/mktows-shim.example.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mktows-shim COMPONENT shim)

# The unit names absolute paths, so it is written for the configured prefix;
# an empty directory leaves it (or the sysusers.d entry) out, as Debian's
# packaging does for the user, which dh_installsysusers creates.
set(MKTOWS_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "where the systemd unit is installed (relative: under the prefix; empty: not installed)")
set(MKTOWS_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "where the sysusers.d entry for the service user is installed (empty: not installed)")
configure_file(${PROJECT_SOURCE_DIR}/dist/mktows-shim.service.in
               ${PROJECT_BINARY_DIR}/mktows-shim.service @ONLY)
if(MKTOWS_SYSTEMD_UNITDIR)
  install(FILES ${PROJECT_BINARY_DIR}/mktows-shim.service
          DESTINATION ${MKTOWS_SYSTEMD_UNITDIR} COMPONENT shim)
endif()
if(MKTOWS_SYSUSERSDIR)
  install(FILES ${PROJECT_SOURCE_DIR}/dist/mktows-shim.sysusers
          DESTINATION ${MKTOWS_SYSUSERSDIR} RENAME mktows-shim.conf COMPONENT shim)
endif()
