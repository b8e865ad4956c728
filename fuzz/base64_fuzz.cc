// Fuzz target: the base64 decoder (mimicit/base64.h) that every image of a
// store goes through.
//
// The input is used twice: as text to decode, and as bytes to encode. Checks,
// beyond "no crash":
//   - both decode overloads agree (same bytes, or both throw);
//   - text that decodes gives the same bytes with its whitespace removed (the
//     fast path against the slow path that handles whitespace), unless it has
//     a data: URI prefix, whose spelling the stripping could change;
//   - any bytes survive encode -> decode, also in the URL-safe alphabet,
//     without padding, and wrapped into MIME lines of 76 characters.
// Seeds: valid, URL-safe, unpadded, wrapped and malformed texts
// (fuzz/make_seeds.py).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "fuzz_util.h"
#include "mimicit/base64.h"

namespace {

using mimicit::Buffer;
using mimicit::ByteView;

[[noreturn]] void fail_check(const char* why) {
  std::fprintf(stderr, "base64: %s\n", why);
  std::abort();
}

std::optional<std::string> decode(std::string_view text) {
  try {
    Buffer out;
    mimicit::base64_decode(text, out);
    return std::string(mimicit::as_string_view(out.view()));
  } catch (const mimicit::Error&) {
    return std::nullopt;
  }
}

std::optional<std::string> decode_raw(std::string_view text) {
  try {
    std::string out(mimicit::base64_decoded_size_upper_bound(text.size()), '\0');
    size_t n = mimicit::base64_decode(text, reinterpret_cast<uint8_t*>(out.data()));
    if (n > out.size()) fail_check("decoded more bytes than the upper bound");
    out.resize(n);
    return out;
  } catch (const mimicit::Error&) {
    return std::nullopt;
  }
}

void check_decodes_to(std::string_view text, std::string_view bytes, const char* what) {
  std::optional<std::string> got = decode(text);
  if (!got || *got != bytes) fail_check(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::optional<std::string> decoded = decode(text);
  if (decoded != decode_raw(text)) fail_check("the two decode overloads disagree");
  if (decoded && text.find(':') == std::string_view::npos) {
    std::string stripped;
    for (char c : text) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') stripped.push_back(c);
    }
    check_decodes_to(stripped, *decoded, "removing whitespace changes the decoded bytes");
  }

  const std::string encoded = mimicit::base64_encode(ByteView(data, size));
  check_decodes_to(encoded, text, "encode -> decode is not the identity");
  std::string url_safe = encoded;
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!url_safe.empty() && url_safe.back() == '=') url_safe.pop_back();
  check_decodes_to(url_safe, text, "URL-safe unpadded text does not decode");
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) wrapped.append(encoded, i, 76).append("\r\n");
  check_decodes_to(wrapped, text, "MIME-wrapped text does not decode");
  return 0;
}
