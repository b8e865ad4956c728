// JsonWriter: the one writer of JSON text in mimicit (the viewer's APIs,
// `parquet meta --json`, `validate --json`, `images stats --json`, `sample`,
// _dropped.jsonl). Commas are placed by the writer; strings are escaped by
// append_json_string (util/json_text.h: invalid UTF-8 becomes U+FFFD);
// the text is compact (no spaces or newlines).
//
//   JsonWriter j;
//   j.begin_object().key("id").value(id).key("n").value(3).end_object();
//   std::string body = j.take();
//
// Values: strings, integers of any width (unsigned ones as unsigned),
// bool, double (shortest round-trip text; NaN and infinities, which JSON
// lacks, as null), std::optional (null when empty), raw() for text that is
// JSON already. A writer given a std::string appends to it, so a caller
// can write JSON lines into one buffer (adding the '\n' itself between top-level
// values, which take no comma) and flush it as it likes.
//
// The writer does not check the grammar (a key outside an object, an
// unbalanced end_*): callers' structure is fixed by their code.
//
// Thread-safety: one writer per thread.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimicit {

class JsonWriter {
 public:
  JsonWriter() : out_(&own_) {}
  explicit JsonWriter(std::string& out) : out_(&out) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& value(T n) {
    if constexpr (std::is_signed_v<T>) {
      return signed_value(n);
    } else {
      return unsigned_value(n);
    }
  }
  JsonWriter& value(bool b);
  JsonWriter& value(double x);
  template <typename T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  JsonWriter& null();
  // `json` must be one complete JSON value.
  JsonWriter& raw(std::string_view json);
  // A list of strings as one array.
  JsonWriter& strings(const std::vector<std::string>& list);

  // The buffer written to (a caller's buffer holds what it held before too).
  const std::string& text() const { return *out_; }
  std::string take() { return std::move(*out_); }

 private:
  void separate();
  JsonWriter& signed_value(int64_t n);
  JsonWriter& unsigned_value(uint64_t n);

  std::string own_;
  std::string* out_;
  // Per open container: whether it holds a value already.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace mimicit
