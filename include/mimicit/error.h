// mimicit::Error: the one error type of the mimicit core.
//
// Every failure in the library is thrown as an Error. It carries a code (what
// kind of failure, so callers and the Python binding can map it to the right
// exception) and a message that names where it happened: the file, then the
// place inside it (row group, column, page offset, image id, ...), then what
// is wrong. Code deep in a decoder knows only "what is wrong"; callers higher
// up add the "where" with add_context() while the exception passes through,
// so the final message reads outside-in:
//
//   "data.parquet: row group 2, column 'base64', page at offset 4096: snappy: corrupt input"
//
// Errors are for bad input and failed I/O, which are exceptional; hot loops
// never throw on the good path. Thread-safety: an Error is a plain value.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace mimicit {

enum class ErrorCode {
  kInvalidArgument,  // the caller asked for something impossible (bad option, unknown column)
  kIo,               // the operating system refused (open, read, write, rename)
  kCorrupt,          // the input violates its format (bad thrift, bad page, CRC mismatch)
  kUnsupported,      // valid input that mimicit does not handle (deep nesting, encryption)
  kNotFound,         // a key or id that is not there
  kLimit,            // a configured resource limit would be exceeded
  kInternal,         // a bug in mimicit
};

// Short lower-case name of a code ("corrupt", "unsupported", ...).
const char* error_code_name(ErrorCode code);

class Error : public std::exception {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const noexcept { return message_; }

  // Prefixes the message with "context: ". Returns *this so that a catch
  // block can write `throw e.add_context(...)` or add and `throw;`.
  Error& add_context(std::string_view context) {
    message_.insert(0, std::string(context) + ": ");
    return *this;
  }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// The common cases, for brevity at the call site.
template <typename... Args>
[[noreturn]] void fail_corrupt(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorCode::kCorrupt, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_unsupported(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorCode::kUnsupported, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_invalid(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorCode::kInvalidArgument, fmt::format(format, std::forward<Args>(args)...));
}

// Runs fn(); if it throws an Error, prefixes `context` and rethrows. Used
// at the boundaries where the "where" becomes known:
//   with_context(path, [&] { return parse_footer(...); });
template <typename Fn>
auto with_context(std::string_view context, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (Error& e) {
    e.add_context(context);
    throw;
  }
}

}  // namespace mimicit
