#include "dataset/json_value.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "util/json_walker.h"

namespace mimicit::dataset {

namespace sj = simdjson;
namespace od = simdjson::ondemand;

ValueParser& ValueParser::for_this_thread() {
  thread_local ValueParser parser;
  return parser;
}

sj::simdjson_result<od::document> ValueParser::iterate(ByteView doc, uint64_t begin, uint64_t end) {
  const char* text = reinterpret_cast<const char*>(doc.data()) + begin;
  const size_t length = static_cast<size_t>(end - begin);
  if (doc.size() - end >= sj::SIMDJSON_PADDING) {
    return parser_.iterate(text, length, static_cast<size_t>(doc.size() - begin));
  }
  copy_.assign(text, length);
  copy_.append(sj::SIMDJSON_PADDING, ' ');
  return parser_.iterate(copy_.data(), length, copy_.size());
}

const char* json_type_phrase(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "a value";
}

namespace {

constexpr int kMaxDepth = JsonObjectWalker::kMaxDepth;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259's number grammar, and a finite value as a double: what orjson
// accepts (it reads integers beyond 64 bits as doubles, rejects 1e400).
bool is_finite_json_number(std::string_view token) {
  while (!token.empty() &&
         (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < token.size() && is_digit(token[i])) ++i;
    return i - start;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  if (i != token.size()) return false;
  return std::isfinite(std::strtod(std::string(token).c_str(), nullptr));
}

// simdjson 3.0 refuses integers beyond 64 bits, which are valid JSON (and
// orjson reads them as doubles): those are checked by hand.
std::string_view raw_token(od::value& v) { return v.raw_json_token(); }
std::string_view raw_token(od::document& d) {
  std::string_view token;
  return d.raw_json_token().get(token) ? std::string_view() : token;
}

template <typename T>
sj::error_code check_number(T& v) {
  const sj::error_code error = v.get_number().error();
  if (error != sj::NUMBER_ERROR) return error;
  return is_finite_json_number(raw_token(v)) ? sj::SUCCESS : error;
}

template <typename T>
sj::error_code check_null(T& v) {
  bool is_null = false;
  if (auto error = v.is_null().get(is_null)) return error;
  return is_null ? sj::SUCCESS : sj::N_ATOM_ERROR;
}

}  // namespace

sj::error_code validate_value(od::value value, int depth, std::string* what) {
  if (depth > kMaxDepth) {
    *what = "nesting too deep";
    return sj::DEPTH_ERROR;
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field : object) {
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return error;
        od::value child;
        if (auto error = field.value().get(child)) return error;
        if (auto error = validate_value(child, depth + 1, what)) return error;
      }
      return sj::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        od::value child;
        if (auto error = element.get(child)) return error;
        if (auto error = validate_value(child, depth + 1, what)) return error;
      }
      return sj::SUCCESS;
    }
    case od::json_type::string: return value.get_string().error();
    case od::json_type::number: return check_number(value);
    case od::json_type::boolean: return value.get_bool().error();
    case od::json_type::null: return check_null(value);
  }
  return sj::INCORRECT_TYPE;
}

sj::error_code validate_document(od::document& doc, std::string* what) {
  od::json_type type;
  if (auto error = doc.type().get(type)) return error;
  sj::error_code error = sj::SUCCESS;
  switch (type) {
    case od::json_type::object:
    case od::json_type::array: {
      od::value value;
      if ((error = doc.get_value().get(value))) return error;
      error = validate_value(value, 1, what);
      break;
    }
    case od::json_type::string: error = doc.get_string().error(); break;
    case od::json_type::number: error = check_number(doc); break;
    case od::json_type::boolean: error = doc.get_bool().error(); break;
    case od::json_type::null: error = check_null(doc); break;
  }
  // Scalar documents check for trailing content themselves; the walker ends
  // an object or array value at its closing bracket.
  return error;
}

bool read_string_list(od::value value, std::vector<std::string_view>* out, std::string* found) {
  out->clear();
  od::json_type type;
  if (value.type().get(type)) {
    *found = "invalid JSON";
    return false;
  }
  if (type == od::json_type::null) {
    if (check_null(value) == sj::SUCCESS) return true;
    *found = "invalid JSON";
    return false;
  }
  if (type != od::json_type::array) {
    *found = json_type_phrase(type);
    return false;
  }
  od::array array;
  if (value.get_array().get(array)) {
    *found = "invalid JSON";
    return false;
  }
  for (auto element : array) {
    od::value item;
    od::json_type item_type;
    if (element.get(item) || item.type().get(item_type)) {
      *found = "invalid JSON";
      return false;
    }
    if (item_type != od::json_type::string) {
      *found = std::string("an array holding ") + json_type_phrase(item_type);
      return false;
    }
    std::string_view text;
    if (item.get_string().get(text)) {
      *found = "an invalid string";
      return false;
    }
    out->push_back(text);
  }
  return true;
}

}  // namespace mimicit::dataset
