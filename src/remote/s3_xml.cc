#include "remote/s3_xml.h"

#include <cstdint>

namespace mimicit::remote {
namespace {

bool is_name_end(char c) { return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// One numeric reference's body ("#38", "#x26"), or nullopt.
std::optional<uint32_t> char_reference(std::string_view body) {
  if (body.size() < 2 || body[0] != '#') return std::nullopt;
  const bool hex = body[1] == 'x' || body[1] == 'X';
  std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  uint32_t cp = 0;
  for (char c : digits) {
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint32_t>(c - '0');
    else if (hex && c >= 'a' && c <= 'f')
      d = static_cast<uint32_t>(c - 'a' + 10);
    else if (hex && c >= 'A' && c <= 'F')
      d = static_cast<uint32_t>(c - 'A' + 10);
    else
      return std::nullopt;
    cp = cp * (hex ? 16 : 10) + d;
  }
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return cp;
}

std::optional<std::string> decode_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '<') return std::nullopt;  // a child element: not a text element
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) return std::nullopt;
    const std::string_view body = text.substr(i + 1, semi - i - 1);
    if (body == "amp")
      out += '&';
    else if (body == "lt")
      out += '<';
    else if (body == "gt")
      out += '>';
    else if (body == "quot")
      out += '"';
    else if (body == "apos")
      out += '\'';
    else if (auto cp = char_reference(body))
      append_utf8(*cp, out);
    else
      return std::nullopt;
    i = semi + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> xml_element_text(std::string_view document, std::string_view name) {
  if (name.empty()) return std::nullopt;
  for (size_t at = document.find('<'); at != std::string_view::npos; at = document.find('<', at + 1)) {
    const std::string_view rest = document.substr(at + 1);
    if (!rest.starts_with(name) || rest.size() == name.size() || !is_name_end(rest[name.size()])) continue;
    const size_t close = document.find('>', at);
    if (close == std::string_view::npos) return std::nullopt;
    if (document[close - 1] == '/') return std::string();  // <Name/>
    const size_t text_begin = close + 1;
    const std::string end_tag = "</" + std::string(name) + ">";
    const size_t text_end = document.find(end_tag, text_begin);
    if (text_end == std::string_view::npos) return std::nullopt;
    return decode_text(document.substr(text_begin, text_end - text_begin));
  }
  return std::nullopt;
}

std::vector<std::string_view> xml_elements(std::string_view document, std::string_view name) {
  std::vector<std::string_view> found;
  if (name.empty()) return found;
  const std::string end_tag = "</" + std::string(name) + ">";
  size_t at = document.find('<');
  while (at != std::string_view::npos) {
    const std::string_view rest = document.substr(at + 1);
    if (!rest.starts_with(name) || rest.size() == name.size() || !is_name_end(rest[name.size()])) {
      at = document.find('<', at + 1);
      continue;
    }
    const size_t close = document.find('>', at);
    if (close == std::string_view::npos) break;
    if (document[close - 1] == '/') {  // <Name/>
      found.emplace_back();
      at = document.find('<', close);
      continue;
    }
    const size_t end = document.find(end_tag, close + 1);
    if (end == std::string_view::npos) break;
    found.push_back(document.substr(close + 1, end - close - 1));
    at = document.find('<', end + end_tag.size());
  }
  return found;
}

std::string xml_root_name(std::string_view document) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < document.size() &&
           (document[i] == ' ' || document[i] == '\t' || document[i] == '\r' || document[i] == '\n'))
      ++i;
  };
  if (document.starts_with("\xEF\xBB\xBF")) i = 3;  // a UTF-8 byte order mark
  skip_space();
  if (document.substr(i).starts_with("<?")) {
    const size_t end = document.find("?>", i);
    if (end == std::string_view::npos) return "";
    i = end + 2;
    skip_space();
  }
  if (i >= document.size() || document[i] != '<') return "";
  const size_t begin = ++i;
  while (i < document.size() && !is_name_end(document[i])) ++i;
  if (i >= document.size()) return "";
  return std::string(document.substr(begin, i - begin));
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string s3_error_text(std::string_view body) {
  auto code = xml_element_text(body, "Code");
  auto message = xml_element_text(body, "Message");
  if (code) return *code + (message && !message->empty() ? ": " + *message : "");
  return std::string(body.substr(0, 300));
}

}  // namespace mimicit::remote
