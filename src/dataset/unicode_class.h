// Code point classes and UTF-8 stepping for the text cleaning: the range
// tables of unicode_tables.inc (generated from Python) behind an ASCII fast
// path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mimicit::dataset {

// The code point starting at s[i] and its length in bytes. An invalid or
// truncated sequence decodes as one byte with the value kInvalidCodePoint.
inline constexpr uint32_t kInvalidCodePoint = 0xFFFFFFFFu;
uint32_t decode_utf8(std::string_view s, size_t i, size_t* length);
// The start of the code point that ends just before s[end] (end > 0).
size_t previous_code_point(std::string_view s, size_t end);

}  // namespace mimicit::dataset
