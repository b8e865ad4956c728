# cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DNAMESPACE=<ns> -DSYMBOL=<name>
#       -DNAME=<shown name> -P embed_file.cmake
#
# Writes OUTPUT: a C++ file defining `const std::string_view NS::SYMBOL`
# over the exact bytes of INPUT (mimicit_embed in MimicitEmbed.cmake runs
# it). Every byte is written as a \xHH escape, so no byte (a quote, a
# backslash, a NUL, a `)"` that would end a raw string) needs care, and a
# following character can never extend an escape (it is always `\` or `"`).
# OUTPUT is only rewritten when its text changes.
foreach(var INPUT OUTPUT NAMESPACE SYMBOL NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is missing")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 16 bytes a line: "\x2f\x2f\x20..." literals, concatenated by the compiler.
string(REGEX REPLACE "(................................)" "\\1\n" lines "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" lines "${lines}")
string(REGEX REPLACE "\n$" "" lines "${lines}")
string(REPLACE "\n" "\"\n    \"" lines "${lines}")

file(WRITE "${OUTPUT}.tmp"
"// Generated from ${NAME} by cmake/embed_file.cmake: edit ${NAME}, not this file.
#include <string_view>

namespace ${NAMESPACE} {

extern const std::string_view ${SYMBOL};
const std::string_view ${SYMBOL}(
    \"${lines}\",
    ${size});

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
