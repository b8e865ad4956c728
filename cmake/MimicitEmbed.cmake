# mimicit_embed: files compiled into a library as constant bytes (the
# viewer's app.js, style.css, favicon.svg), so they can stay real files that
# editors, linters and `node --check` read as what they are.
#
#   mimicit_embed(<target> NAMESPACE <ns> FILES <file>=<symbol>...)
#
# Each <file> (relative to the calling folder) becomes a generated
# <file>.cc in the build folder that defines
#   const std::string_view <ns>::<symbol>
# over its exact bytes (declare it `extern` in a header). The generated
# file depends on <file>: editing it regenerates and recompiles just that
# .cc. Uses nothing but CMake (cmake/embed_file.cmake in script mode), so
# the ordinary build and the Python wheel's build (scikit-build-core runs
# the same CMakeLists) embed the same bytes.
set(MIMICIT_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake)

function(mimicit_embed target)
  cmake_parse_arguments(PARSE_ARGV 1 E "" "NAMESPACE" "FILES")
  if(E_UNPARSED_ARGUMENTS OR NOT E_NAMESPACE OR NOT E_FILES)
    message(FATAL_ERROR "mimicit_embed(${target} NAMESPACE <ns> FILES <file>=<symbol>...)")
  endif()
  foreach(pair IN LISTS E_FILES)
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 file)
    list(GET parts 1 symbol)
    set(input ${CMAKE_CURRENT_SOURCE_DIR}/${file})
    set(output ${CMAKE_CURRENT_BINARY_DIR}/${file}.cc)
    file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${input})
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DNAMESPACE=${E_NAMESPACE}
              -DSYMBOL=${symbol} -DNAME=${name} -P ${MIMICIT_EMBED_SCRIPT}
      DEPENDS ${input} ${MIMICIT_EMBED_SCRIPT}
      COMMENT "Embedding ${file}"
      VERBATIM)
    target_sources(${target} PRIVATE ${output})
  endforeach()
endfunction()
