// The glue between the column chunk reader and the per-encoding decoders:
// decodes a page's levels and values into the reader's reusable storage and
// fills a DecodedPage. One function per step; the encodings themselves live
// in decoder/ (one file each).
//
// Storage objects are owned by one ColumnChunkReader and reused page after
// page, so a scan allocates only while pages grow. Views in the DecodedPage
// point into the page bytes (zero copy), into this storage, or into the
// Dictionary, which lives as long as its column chunk reader.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/parquet/reader.h"

namespace mimicit::parquet {

struct LevelStorage {
  std::vector<int16_t> def;
  std::vector<int16_t> rep;
};

struct PageLevels {
  const int16_t* def = nullptr;  // nullptr when the column has no definition levels
  const int16_t* rep = nullptr;
  size_t num_present = 0;  // levels at the maximum definition level (non-null values)
  size_t num_rows = 0;     // levels with repetition level 0
};

struct ValueStorage {
  Buffer fixed;                         // fixed-width values
  std::vector<std::string_view> views;  // byte-array values
  Buffer strings;                       // DELTA_BYTE_ARRAY reconstructed values
  std::vector<uint32_t> indices;        // dictionary indices
};

// The decoded dictionary of a column chunk. Byte-array entries view the
// dictionary page bytes, which the caller keeps alive with the Dictionary.
struct Dictionary {
  void load(const ColumnDescriptor& d, ByteView page, size_t count);
  size_t size = 0;
  Buffer fixed;
  std::vector<std::string_view> views;
};

// Levels of a data page v1 at the start of `body` (repetition then
// definition, each RLE with a length prefix or BIT_PACKED). Returns the bytes
// they took.
size_t decode_levels_v1(const ColumnDescriptor& d, ByteView body, size_t count, Encoding rep_encoding,
                        Encoding def_encoding, LevelStorage& storage, PageLevels& out);

// Levels of a data page v2, whose sections come sized from the header.
void decode_levels_v2(const ColumnDescriptor& d, ByteView rep, ByteView def, size_t count,
                      LevelStorage& storage, PageLevels& out);

// `count` non-null values in `encoding` (not a dictionary encoding).
void decode_values(const ColumnDescriptor& d, Encoding encoding, ByteView data, size_t count,
                   ValueStorage& storage, DecodedPage& out);

// `count` dictionary indices (bit-width byte + RLE/bit-packed) resolved
// through `dict`.
void decode_dictionary_values(const ColumnDescriptor& d, ByteView data, size_t count, const Dictionary& dict,
                              ValueStorage& storage, DecodedPage& out);

}  // namespace mimicit::parquet
