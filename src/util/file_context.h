// Naming the file in error messages, exactly once.
#pragma once

#include <string>
#include <string_view>

#include "mimicit/error.h"

namespace mimicit {

// Throws Error(kIo) "path: what: strerror(errno)".
[[noreturn]] void fail_errno(std::string_view what, const std::string& path);

// Runs fn(); an Error that escapes gets "path: " in front unless its message
// already starts with the path (the reader names the file itself in most of
// its messages; the tools' own checks do not).
template <typename Fn>
auto with_file_context(std::string_view path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (Error& e) {
    if (!std::string_view(e.message()).starts_with(path)) e.add_context(path);
    throw;
  }
}

}  // namespace mimicit
