#include "parquet/reader/page_decoding.h"

#include <algorithm>

#include "mimicit/error.h"
#include "parquet/decoder/bit_packed_decoder.h"
#include "parquet/decoder/byte_stream_split_decoder.h"
#include "parquet/decoder/delta_binary_packed_decoder.h"
#include "parquet/decoder/delta_byte_array_decoder.h"
#include "parquet/decoder/delta_length_byte_array_decoder.h"
#include "parquet/decoder/dictionary_decoder.h"
#include "parquet/decoder/plain_decoder.h"
#include "parquet/decoder/rle_decoder.h"

namespace mimicit::parquet {

namespace {

// DELTA_BYTE_ARRAY rebuilds values from shared prefixes, so a small page can
// describe a huge output; this bounds what one page may expand to.
constexpr uint64_t kMaxReconstructedBytes = uint64_t{1} << 31;

// Refuses value counts the data cannot possibly hold, before allocating for
// them (PLAIN needs at least this many bytes per value).
void check_plain_fits(const ColumnDescriptor& d, size_t bytes, size_t count) {
  uint64_t min_bytes = 0;
  switch (d.type) {
    case Type::BOOLEAN: min_bytes = (uint64_t{count} + 7) / 8; break;
    case Type::BYTE_ARRAY: min_bytes = uint64_t{count} * 4; break;
    case Type::FIXED_LEN_BYTE_ARRAY:
      min_bytes = uint64_t{count} * static_cast<uint64_t>(d.type_length);
      break;
    default: min_bytes = uint64_t{count} * static_cast<uint64_t>(d.fixed_width()); break;
  }
  if (min_bytes > bytes) {
    fail_corrupt("{} PLAIN values need at least {} bytes but the page has {}", count, min_bytes, bytes);
  }
}

int16_t* level_buffer(std::vector<int16_t>& v, size_t count) {
  if (v.size() < count) v.resize(count);
  return v.data();
}

size_t decode_one_level_v1(Encoding encoding, ByteView in, int max_level, size_t count, int16_t* out) {
  switch (encoding) {
    case Encoding::RLE: return decode_levels_v1(in, max_level, count, out);
    case Encoding::BIT_PACKED: return decode_bit_packed_levels(in, max_level, count, out);
    default: fail_unsupported("unsupported level encoding {}", to_string(encoding));
  }
}

void count_levels(const ColumnDescriptor& d, size_t count, PageLevels& out) {
  if (out.def) {
    size_t present = 0;
    const int16_t max_def = d.max_def_level;
    for (size_t i = 0; i < count; ++i) present += out.def[i] == max_def;
    out.num_present = present;
  } else {
    out.num_present = count;
  }
  if (out.rep) {
    out.num_rows = static_cast<size_t>(std::count(out.rep, out.rep + count, int16_t{0}));
  } else {
    out.num_rows = count;
  }
}

uint8_t* fixed_buffer(ValueStorage& s, size_t count, size_t width) {
  s.fixed.resize(count * width);
  return s.fixed.data();
}

std::string_view* view_buffer(ValueStorage& s, size_t count) {
  if (s.views.size() < count) s.views.resize(count);
  return s.views.data();
}

void check_fixed_lengths(const ColumnDescriptor& d, const std::string_view* v, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (v[i].size() != static_cast<size_t>(d.type_length)) {
      fail_corrupt("FIXED_LEN_BYTE_ARRAY value of {} bytes in a column of width {}", v[i].size(),
                   d.type_length);
    }
  }
}

void decode_plain(const ColumnDescriptor& d, ByteView data, size_t count, ValueStorage& s, DecodedPage& out) {
  check_plain_fits(d, data.size(), count);
  switch (d.type) {
    case Type::BOOLEAN:
      decode_plain_boolean(data, count, fixed_buffer(s, count, 1));
      out.fixed = s.fixed.data();
      return;
    case Type::BYTE_ARRAY:
      decode_plain_byte_array(data, count, view_buffer(s, count));
      out.bytes = s.views.data();
      return;
    case Type::FIXED_LEN_BYTE_ARRAY:
      decode_plain_fixed_len_byte_array(data, count, static_cast<size_t>(d.type_length),
                                        view_buffer(s, count));
      out.bytes = s.views.data();
      return;
    default: {
      size_t width = static_cast<size_t>(d.fixed_width());
      // Zero copy is not possible for fixed width: values may be unaligned
      // and the reader hands out a pointer the caller reads with memcpy
      // anyway, so one memcpy per page is the cost.
      decode_plain_fixed(data, count, width, fixed_buffer(s, count, width));
      out.fixed = s.fixed.data();
      return;
    }
  }
}

void decode_delta_binary(const ColumnDescriptor& d, ByteView data, size_t count, ValueStorage& s,
                         DecodedPage& out) {
  if (d.type == Type::INT32) {
    decode_delta_binary_packed(data, count, reinterpret_cast<int32_t*>(fixed_buffer(s, count, 4)));
  } else if (d.type == Type::INT64) {
    decode_delta_binary_packed(data, count, reinterpret_cast<int64_t*>(fixed_buffer(s, count, 8)));
  } else {
    fail_corrupt("DELTA_BINARY_PACKED used for a {} column", to_string(d.type));
  }
  out.fixed = s.fixed.data();
}

void decode_byte_stream_split_values(const ColumnDescriptor& d, ByteView data, size_t count, ValueStorage& s,
                                     DecodedPage& out) {
  if (d.type == Type::FIXED_LEN_BYTE_ARRAY) {
    decode_byte_stream_split_flba(data, count, static_cast<size_t>(d.type_length), s.strings,
                                  view_buffer(s, count));
    out.bytes = s.views.data();
    return;
  }
  if (d.type != Type::FLOAT && d.type != Type::DOUBLE && d.type != Type::INT32 && d.type != Type::INT64) {
    fail_corrupt("BYTE_STREAM_SPLIT used for a {} column", to_string(d.type));
  }
  size_t width = static_cast<size_t>(d.fixed_width());
  decode_byte_stream_split(data, count, width, fixed_buffer(s, count, width));
  out.fixed = s.fixed.data();
}

}  // namespace

void Dictionary::load(const ColumnDescriptor& d, ByteView page, size_t count) {
  check_plain_fits(d, page.size(), count);
  size = count;
  switch (d.type) {
    case Type::BOOLEAN:
      fixed.resize(count);
      decode_plain_boolean(page, count, fixed.data());
      return;
    case Type::BYTE_ARRAY:
      views.resize(count);
      decode_plain_byte_array(page, count, views.data());
      return;
    case Type::FIXED_LEN_BYTE_ARRAY:
      views.resize(count);
      decode_plain_fixed_len_byte_array(page, count, static_cast<size_t>(d.type_length), views.data());
      return;
    default: {
      size_t width = static_cast<size_t>(d.fixed_width());
      fixed.resize(count * width);
      decode_plain_fixed(page, count, width, fixed.data());
      return;
    }
  }
}

size_t decode_levels_v1(const ColumnDescriptor& d, ByteView body, size_t count, Encoding rep_encoding,
                        Encoding def_encoding, LevelStorage& storage, PageLevels& out) {
  size_t used = 0;
  out = PageLevels{};
  if (d.max_rep_level > 0) {
    int16_t* rep = level_buffer(storage.rep, count);
    used += decode_one_level_v1(rep_encoding, body, d.max_rep_level, count, rep);
    out.rep = rep;
  }
  if (d.max_def_level > 0) {
    int16_t* def = level_buffer(storage.def, count);
    used += decode_one_level_v1(def_encoding, body.subspan(used), d.max_def_level, count, def);
    out.def = def;
  }
  count_levels(d, count, out);
  return used;
}

void decode_levels_v2(const ColumnDescriptor& d, ByteView rep, ByteView def, size_t count,
                      LevelStorage& storage, PageLevels& out) {
  out = PageLevels{};
  if (d.max_rep_level > 0) {
    int16_t* levels = level_buffer(storage.rep, count);
    decode_levels_v2(rep, d.max_rep_level, count, levels);
    out.rep = levels;
  }
  if (d.max_def_level > 0) {
    int16_t* levels = level_buffer(storage.def, count);
    decode_levels_v2(def, d.max_def_level, count, levels);
    out.def = levels;
  }
  count_levels(d, count, out);
}

void decode_values(const ColumnDescriptor& d, Encoding encoding, ByteView data, size_t count, ValueStorage& s,
                   DecodedPage& out) {
  switch (encoding) {
    case Encoding::PLAIN: decode_plain(d, data, count, s, out); return;
    case Encoding::RLE:
      if (d.type != Type::BOOLEAN)
        fail_unsupported("unsupported RLE encoding for a {} column", to_string(d.type));
      decode_rle_boolean(data, count, fixed_buffer(s, count, 1));
      out.fixed = s.fixed.data();
      return;
    case Encoding::DELTA_BINARY_PACKED: decode_delta_binary(d, data, count, s, out); return;
    case Encoding::DELTA_LENGTH_BYTE_ARRAY:
      if (d.type != Type::BYTE_ARRAY)
        fail_corrupt("DELTA_LENGTH_BYTE_ARRAY used for a {} column", to_string(d.type));
      decode_delta_length_byte_array(data, count, view_buffer(s, count));
      out.bytes = s.views.data();
      return;
    case Encoding::DELTA_BYTE_ARRAY:
      if (d.type != Type::BYTE_ARRAY && d.type != Type::FIXED_LEN_BYTE_ARRAY) {
        fail_corrupt("DELTA_BYTE_ARRAY used for a {} column", to_string(d.type));
      }
      decode_delta_byte_array(data, count, s.strings, view_buffer(s, count), kMaxReconstructedBytes);
      if (d.type == Type::FIXED_LEN_BYTE_ARRAY) check_fixed_lengths(d, s.views.data(), count);
      out.bytes = s.views.data();
      return;
    case Encoding::BYTE_STREAM_SPLIT: decode_byte_stream_split_values(d, data, count, s, out); return;
    default: fail_unsupported("unsupported value encoding {}", to_string(encoding));
  }
}

void decode_dictionary_values(const ColumnDescriptor& d, ByteView data, size_t count, const Dictionary& dict,
                              ValueStorage& s, DecodedPage& out) {
  if (d.type == Type::BYTE_ARRAY || d.type == Type::FIXED_LEN_BYTE_ARRAY) {
    decode_dictionary_byte_array(data, count, dict.views.data(), dict.size, view_buffer(s, count));
    out.bytes = s.views.data();
    return;
  }
  size_t width = static_cast<size_t>(d.fixed_width());
  decode_dictionary_fixed(data, count, dict.fixed.data(), dict.size, width, fixed_buffer(s, count, width));
  out.fixed = s.fixed.data();
}

}  // namespace mimicit::parquet
