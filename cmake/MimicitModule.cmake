# mimicit_add_module: one library per module of src/ (README "Layout").
#
#   mimicit_add_module(<name>
#     DEPENDS <module>...        modules below this one that it uses (linked PUBLIC:
#                                public headers include theirs)
#     PRIVATE_LIBS <target>...   third-party libraries only its sources use
#     HEADERS <path>...          its public headers, relative to include/mimicit/
#     SOURCES <file>...)         its sources, relative to src/<name>/
#
# Defines the library mimicit_<name> (static unless BUILD_SHARED_LIBS;
# position-independent), its alias mimicit::<name> (the name installed
# packages export), and records the module for installation. The DEPENDS
# lists are the declared module graph: scripts/check_layers.py reads them
# and fails when a file includes a header of a module that is not below
# its own.
function(mimicit_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 M "" "" "DEPENDS;PRIVATE_LIBS;HEADERS;SOURCES")
  if(M_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mimicit_add_module(${name}): unexpected arguments ${M_UNPARSED_ARGUMENTS}")
  endif()
  set(target mimicit_${name})
  list(TRANSFORM M_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/src/${name}/)
  add_library(${target} ${M_SOURCES})
  add_library(mimicit::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${target} PRIVATE ${MIMICIT_WARNINGS})
  list(TRANSFORM M_DEPENDS PREPEND mimicit_ OUTPUT_VARIABLE deps)
  target_link_libraries(${target} PUBLIC ${deps} PRIVATE ${M_PRIVATE_LIBS})
  set_property(GLOBAL APPEND PROPERTY MIMICIT_MODULES ${name})
  foreach(header IN LISTS M_HEADERS)
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/include/mimicit/${header})
      message(FATAL_ERROR "mimicit_add_module(${name}): no header include/mimicit/${header}")
    endif()
    set_property(GLOBAL APPEND PROPERTY MIMICIT_PUBLIC_HEADERS "${header}")
  endforeach()
endfunction()

# mimicit_pkg(<prefix> <pkg-config module>...): pkg_check_modules with an
# imported target PkgConfig::<prefix>, recorded so that the installed
# package finds the same libraries (the modules are static libraries: their
# consumers link their private dependencies too).
macro(mimicit_pkg prefix)
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${ARGN})
  set_property(GLOBAL APPEND PROPERTY MIMICIT_PKG_PREFIXES ${prefix})
  set_property(GLOBAL PROPERTY MIMICIT_PKG_${prefix} ${ARGN})
endmacro()

# mimicit_pkg_shared(<prefix> <module>...): mimicit_pkg for a library that is
# only ever linked shared (libcurl): mimicit.pc names its -l flags in
# Libs.private instead of requiring the module, whose own Libs.private (for
# a static libcurl: Kerberos, LDAP, ...) `pkg-config --static` would add.
macro(mimicit_pkg_shared prefix)
  mimicit_pkg(${prefix} ${ARGN})
  set_property(GLOBAL PROPERTY MIMICIT_PKG_SHARED_${prefix} TRUE)
endmacro()
