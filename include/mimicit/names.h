// The names users type for an enum (CLI options, Python keyword arguments,
// query parameters), declared once beside the enum in the header that owns
// it, so that the CLI, the Python module and the core cannot disagree:
//
//   inline constexpr NameTable<Reencode> kReencodeNames{
//       "reencode", {{Reencode::kKeep, "keep", "image bytes untouched"},
//                    {Reencode::kPng, "png"}, {Reencode::kJpeg, "jpeg"}}};
//   kReencodeNames.parse("png")    -> Reencode::kPng
//   kReencodeNames.name(kJpeg)     -> "jpeg"
//   kReencodeNames.names()         -> "keep, png, jpeg"
//
// An enum value may have several names (aliases): the first one is how it
// prints, every one parses. `help` is an optional note for --help texts.
// A table compares names exactly unless it is built with
// NameCase::kIgnore (ASCII case-insensitive).
//
// Thread-safety: a table is an immutable constant.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "mimicit/error.h"

namespace mimicit {

template <typename Enum>
struct NameEntry {
  Enum value;
  const char* name;
  const char* help = "";
};

enum class NameCase { kExact, kIgnore };

template <typename Enum>
class NameTable {
 public:
  static constexpr size_t kCapacity = 32;

  // `what` names the option in messages ("compression", "group").
  constexpr NameTable(const char* what, std::initializer_list<NameEntry<Enum>> entries,
                      NameCase name_case = NameCase::kExact)
      : what_(what), case_(name_case) {
    // More than kCapacity entries is a compile error in a constant.
    if (entries.size() > kCapacity) throw "NameTable: too many names";
    for (const NameEntry<Enum>& entry : entries) entries_[size_++] = entry;
  }

  const char* what() const { return what_; }
  const NameEntry<Enum>* begin() const { return entries_.data(); }
  const NameEntry<Enum>* end() const { return entries_.data() + size_; }
  size_t size() const { return size_; }

  // The value named `text`, or nullopt.
  std::optional<Enum> find(std::string_view text) const {
    for (const NameEntry<Enum>& entry : *this) {
      if (matches(entry.name, text)) return entry.value;
    }
    return std::nullopt;
  }

  // The value named `text`; Error(kInvalidArgument) "unknown <what> '<text>'
  // (expected a, b, c)" for any other text.
  Enum parse(std::string_view text) const {
    if (std::optional<Enum> value = find(text)) return *value;
    fail_invalid("unknown {} '{}' (expected {})", what_, text, names());
  }

  // The first name of `value`; "?" for a value the table does not list.
  const char* name(Enum value) const {
    for (const NameEntry<Enum>& entry : *this) {
      if (entry.value == value) return entry.name;
    }
    return "?";
  }

  // Every name, in table order: "a, b, c", or with `last` " or ": "a, b or c".
  std::string names(std::string_view last = ", ") const {
    std::string out;
    for (size_t i = 0; i < size_; ++i) {
      if (i > 0) out += i + 1 == size_ ? last : std::string_view(", ");
      out += entries_[i].name;
    }
    return out;
  }

 private:
  bool matches(std::string_view name, std::string_view text) const {
    if (case_ == NameCase::kExact) return name == text;
    if (name.size() != text.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (lower(name[i]) != lower(text[i])) return false;
    }
    return true;
  }
  static constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

  const char* what_;
  NameCase case_;
  std::array<NameEntry<Enum>, kCapacity> entries_{};
  size_t size_ = 0;
};

}  // namespace mimicit
