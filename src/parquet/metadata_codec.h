// Parquet metadata codec: Thrift compact bytes <-> the structs of metadata.h.
//
// Decoders take untrusted bytes and either return a complete struct or throw
// mimicit::Error: kCorrupt for malformed Thrift or a missing required field
// ("thrift: PageHeader is missing required field 'compressed_page_size'"),
// kUnsupported for a bloom filter that is not BLOCK/XXHASH/UNCOMPRESSED. They
// check structure only (see metadata.h): unknown fields are skipped, fields of
// an unexpected wire type are skipped as Thrift's generated code does, enum
// values outside the known range are kept as their integer. Decoders never
// read outside `bytes`, and the memory of what they decode is bounded by the
// input size (thrift::kAllocationFactor bytes per input byte, plus 1 MiB;
// beyond that Error(kLimit)).
//
// Encoders append to `out` and write required fields always, optional ones
// only when set (an empty list counts as unset), in the form pyarrow, DuckDB
// and polars read.
//
// All functions are stateless and thread-safe.
#pragma once

#include <cstddef>

#include "mimicit/bytes.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

FileMetaData decode_file_metadata(ByteView bytes);
// Decodes the PageHeader at the start of `bytes`; *header_size = bytes consumed.
PageHeader decode_page_header(ByteView bytes, size_t* header_size);
ColumnIndex decode_column_index(ByteView bytes);
OffsetIndex decode_offset_index(ByteView bytes);
// Decodes the BloomFilterHeader at the start of `bytes` (the bitset follows
// it); *header_size = bytes consumed.
BloomFilterHeader decode_bloom_filter_header(ByteView bytes, size_t* header_size);

void encode_file_metadata(const FileMetaData& m, Buffer& out);  // appends
void encode_page_header(const PageHeader& h, Buffer& out);
void encode_column_index(const ColumnIndex& ci, Buffer& out);
void encode_offset_index(const OffsetIndex& oi, Buffer& out);
void encode_bloom_filter_header(const BloomFilterHeader& h, Buffer& out);  // BLOCK / XXHASH / UNCOMPRESSED

}  // namespace mimicit::parquet
