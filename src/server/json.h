// A small JSON writer for the viewer's APIs: appends to one std::string,
// commas handled by the writer, strings escaped by append_json_string (util/json_text.h)
// (invalid UTF-8 becomes U+FFFD).
//
//   JsonWriter j;
//   j.begin_object().key("id").value(id).key("n").value(3).end_object();
//   std::string body = j.take();
//
// Thread-safety: one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mimicit::server {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(double x);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // A list of strings as one array.
  JsonWriter& strings(const std::vector<std::string>& list);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();

  std::string out_;
  // Per open container: whether it holds a value already.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace mimicit::server
