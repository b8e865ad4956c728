// Base64 (RFC 4648) encoding and the decoder used for every image in a
// MIMIC-IT image store.
//
// Encoding writes the standard alphabet with '=' padding. Decoding gives the
// bytes the reference's decoder gives: CPython's base64.urlsafe_b64decode,
// i.e. binascii.a2b_base64 in its default (non-strict) mode after mapping
// '-' and '_' to '+' and '/'. So, like it:
//   - the standard ('+', '/') and URL-safe ('-', '_') alphabets, even mixed;
//   - every character outside the alphabet (whitespace, quotes, NULs, '*',
//     bytes over 0x7F) is skipped;
//   - a '=' where padding cannot be (after 0 or 1 characters of a group, or
//     a single '=' followed by more data after 2) is skipped;
//   - the padding that completes a group ends the data: whatever follows is
//     ignored, and the unused low bits of the group's last character too;
//   - a text whose characters (skipped ones aside) end one past a multiple
//     of 4 is Error(kCorrupt): no encoder writes it, nothing can be decoded.
// Beyond it, it accepts what CPython refuses or misreads:
//   - missing or partial padding (CPython: "Incorrect padding");
//   - a leading "data:<mime>;base64," URI prefix, matched case-insensitively
//     after optional whitespace (CPython decodes its letters as data).
// What a text needed beyond canonical base64 is reported as Base64Leniency
// bits (validate --decode lists such images as lenient_base64). Whitespace
// (space, \t, \r, \n), as in MIME line-wrapped text, is not leniency.
//
// Clean input (no whitespace) takes a fast path that decodes 8 characters per
// step without a branch per character. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit {

// What decoding a text took beyond canonical base64: bits, kNone when
// nothing. The comments say how the reference's decoder fares on such text.
enum class Base64Leniency : uint8_t {
  kNone = 0,
  // Characters outside the alphabet, or '=' where padding cannot be, were
  // skipped (the reference skips them too: the same bytes).
  kSkippedCharacters = 1,
  // Text after the padding that ends the data was ignored (so does the
  // reference).
  kTextAfterPadding = 2,
  // The final group's padding was missing or short (the reference fails:
  // "Incorrect padding").
  kMissingPadding = 4,
  // A data: URI prefix was removed (the reference decodes its letters as
  // base64: other bytes, or a failure).
  kDataUriPrefix = 8,
};
constexpr Base64Leniency operator|(Base64Leniency a, Base64Leniency b) {
  return static_cast<Base64Leniency>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr bool has(Base64Leniency set, Base64Leniency bit) {
  return (static_cast<uint8_t>(set) & static_cast<uint8_t>(bit)) != 0;
}
// "missing padding (the reference fails: Incorrect padding); ..." for
// reports: each bit set, with what the reference does. Empty for kNone.
std::string describe(Base64Leniency leniency);

// Encodes `data`, padded, standard alphabet.
std::string base64_encode(ByteView data);
// Appends the encoding of `data` to `out`.
void base64_encode(ByteView data, std::string& out);

// Room the decoder needs for `text_size` characters of text: at least the
// decoded size of any valid text of that length (about 3/4 of it).
size_t base64_decoded_size_upper_bound(size_t text_size);

// Decodes `text` into `out`, which must have room for
// base64_decoded_size_upper_bound(text.size()) bytes: the decoder uses all of
// it as scratch, so bytes past the returned count are unspecified. Returns the
// number of bytes decoded; sets *leniency (when not null) to what the text
// needed.
size_t base64_decode(std::string_view text, uint8_t* out, Base64Leniency* leniency = nullptr);

// Decodes `text`, replacing the contents of `out`.
void base64_decode(std::string_view text, Buffer& out, Base64Leniency* leniency = nullptr);

}  // namespace mimicit
