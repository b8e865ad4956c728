#include "util/json_writer.h"

#include <cmath>

#include <fmt/format.h>

#include "util/json_text.h"

namespace mimicit {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_value_.empty()) {
    if (has_value_.back()) out_->push_back(',');
    has_value_.back() = true;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_->push_back('{');
  has_value_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_->push_back('}');
  has_value_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_->push_back('[');
  has_value_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_->push_back(']');
  has_value_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(*out_, name);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  append_json_string(*out_, text);
  return *this;
}

JsonWriter& JsonWriter::signed_value(int64_t n) {
  separate();
  const fmt::format_int text(n);
  out_->append(text.data(), text.size());
  return *this;
}

JsonWriter& JsonWriter::unsigned_value(uint64_t n) {
  separate();
  const fmt::format_int text(n);
  out_->append(text.data(), text.size());
  return *this;
}

JsonWriter& JsonWriter::value(double x) {
  if (!std::isfinite(x)) return null();  // JSON has no NaN or infinity
  separate();
  append_json_double(*out_, x);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) { return raw(b ? "true" : "false"); }

JsonWriter& JsonWriter::null() { return raw("null"); }

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_->append(json);
  return *this;
}

JsonWriter& JsonWriter::strings(const std::vector<std::string>& list) {
  begin_array();
  for (const std::string& s : list) value(s);
  return end_array();
}

}  // namespace mimicit
