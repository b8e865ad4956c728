// Base64 (RFC 4648) encoding and the decoder used for every image in a
// MIMIC-IT image store.
//
// Encoding writes the standard alphabet with '=' padding. Decoding is lenient
// in the ways real datasets are sloppy and strict about everything else. It
// accepts:
//   - the standard ('+', '/') and URL-safe ('-', '_') alphabets, even mixed;
//   - missing or partial '=' padding;
//   - whitespace (space, \t, \r, \n) anywhere, as in MIME line-wrapped text;
//   - a leading "data:<mime>;base64," URI prefix (matched case-insensitively).
// It rejects with Error(kCorrupt), naming the offset in `text`: any other
// character, padding in the middle or after a group of fewer than two
// characters, anything but whitespace after padding, and a final group of a
// single character. Unused low bits of the last character are ignored.
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
// number of bytes decoded.
size_t base64_decode(std::string_view text, uint8_t* out);

// Decodes `text`, replacing the contents of `out`.
void base64_decode(std::string_view text, Buffer& out);

}  // namespace mimicit
