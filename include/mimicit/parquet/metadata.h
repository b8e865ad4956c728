// Parquet file metadata, as plain C++ values.
//
// These structs mirror the Thrift definitions of the Parquet format
// (parquet.thrift); the field ids used on disk are noted beside each member.
// Optional Thrift fields are std::optional here, so "absent" and "zero" stay
// distinct (a writer that omits statistics is not a writer that wrote 0).
// Binary Thrift fields (statistics bounds, key-value values) are
// std::string holding raw bytes.
//
// Decoding (src/parquet/metadata_codec.*) validates structure only: that the
// bytes are well-formed Thrift and that every required field is present.
// Semantic checks against the file (offsets inside the file, counts that
// agree) are the reader's job, where the file size is known.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mimicit/names.h"

namespace mimicit::parquet {

enum class Type : int32_t {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  INT96 = 3,
  FLOAT = 4,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FIXED_LEN_BYTE_ARRAY = 7,
};

enum class ConvertedType : int32_t {
  UTF8 = 0,
  MAP = 1,
  MAP_KEY_VALUE = 2,
  LIST = 3,
  ENUM = 4,
  DECIMAL = 5,
  DATE = 6,
  TIME_MILLIS = 7,
  TIME_MICROS = 8,
  TIMESTAMP_MILLIS = 9,
  TIMESTAMP_MICROS = 10,
  UINT_8 = 11,
  UINT_16 = 12,
  UINT_32 = 13,
  UINT_64 = 14,
  INT_8 = 15,
  INT_16 = 16,
  INT_32 = 17,
  INT_64 = 18,
  JSON = 19,
  BSON = 20,
  INTERVAL = 21,
};

enum class Repetition : int32_t { REQUIRED = 0, OPTIONAL = 1, REPEATED = 2 };

enum class Encoding : int32_t {
  PLAIN = 0,
  PLAIN_DICTIONARY = 2,
  RLE = 3,
  BIT_PACKED = 4,
  DELTA_BINARY_PACKED = 5,
  DELTA_LENGTH_BYTE_ARRAY = 6,
  DELTA_BYTE_ARRAY = 7,
  RLE_DICTIONARY = 8,
  BYTE_STREAM_SPLIT = 9,
};

enum class Codec : int32_t {
  UNCOMPRESSED = 0,
  SNAPPY = 1,
  GZIP = 2,
  LZO = 3,
  BROTLI = 4,
  LZ4 = 5,
  ZSTD = 6,
  LZ4_RAW = 7,
};

// The codecs a writer takes by name (ParquetWriter, `mimicit convert
// --compression`, Python's codec=), in any case; "uncompressed" is "none".
inline constexpr NameTable<Codec> kCodecNames{"codec",
                                              {{Codec::UNCOMPRESSED, "none"},
                                               {Codec::UNCOMPRESSED, "uncompressed"},
                                               {Codec::SNAPPY, "snappy"},
                                               {Codec::GZIP, "gzip"},
                                               {Codec::ZSTD, "zstd"},
                                               {Codec::BROTLI, "brotli"},
                                               {Codec::LZ4, "lz4"},
                                               {Codec::LZ4_RAW, "lz4_raw"}},
                                              NameCase::kIgnore};

enum class PageType : int32_t { DATA_PAGE = 0, INDEX_PAGE = 1, DICTIONARY_PAGE = 2, DATA_PAGE_V2 = 3 };

enum class BoundaryOrder : int32_t { UNORDERED = 0, ASCENDING = 1, DESCENDING = 2 };

enum class TimeUnit : int32_t { MILLIS = 1, MICROS = 2, NANOS = 3 };  // union field ids

// The LogicalType union (SchemaElement field 10). `kind` is the union's field
// id; kinds this code does not know are kept as their id (kind values above
// 18, or ones it cannot interpret) so that a reader can fall back to the
// physical type as other readers do.
struct LogicalType {
  enum Kind : int32_t {
    NONE = 0,
    STRING = 1,
    MAP = 2,
    LIST = 3,
    ENUM = 4,
    DECIMAL = 5,
    DATE = 6,
    TIME = 7,
    TIMESTAMP = 8,
    INTEGER = 10,
    UNKNOWN = 11,
    JSON = 12,
    BSON = 13,
    UUID = 14,
    FLOAT16 = 15,
    VARIANT = 16,
    GEOMETRY = 17,
    GEOGRAPHY = 18,
  };
  int32_t kind = NONE;
  // DECIMAL: 1 scale, 2 precision.
  int32_t scale = 0;
  int32_t precision = 0;
  // TIME / TIMESTAMP: 1 isAdjustedToUTC, 2 unit.
  bool is_adjusted_to_utc = false;
  TimeUnit unit = TimeUnit::MILLIS;
  // INTEGER: 1 bitWidth (i8), 2 isSigned.
  int8_t bit_width = 0;
  bool is_signed = true;
};

struct Statistics {
  std::optional<std::string> max;          // 1 (legacy: signed order, often wrong for strings)
  std::optional<std::string> min;          // 2 (legacy)
  std::optional<int64_t> null_count;       // 3
  std::optional<int64_t> distinct_count;   // 4
  std::optional<std::string> max_value;    // 5
  std::optional<std::string> min_value;    // 6
  std::optional<bool> is_max_value_exact;  // 7
  std::optional<bool> is_min_value_exact;  // 8
};

struct SchemaElement {
  std::optional<Type> type;                     // 1 (absent for groups)
  std::optional<int32_t> type_length;           // 2
  std::optional<Repetition> repetition_type;    // 3 (absent on the root)
  std::string name;                             // 4 required
  std::optional<int32_t> num_children;          // 5
  std::optional<ConvertedType> converted_type;  // 6
  std::optional<int32_t> scale;                 // 7
  std::optional<int32_t> precision;             // 8
  std::optional<int32_t> field_id;              // 9
  std::optional<LogicalType> logical_type;      // 10
};

struct KeyValue {
  std::string key;                   // 1
  std::optional<std::string> value;  // 2
};

struct SortingColumn {
  int32_t column_idx = 0;    // 1
  bool descending = false;   // 2
  bool nulls_first = false;  // 3
};

struct PageEncodingStats {
  PageType page_type = PageType::DATA_PAGE;  // 1
  Encoding encoding = Encoding::PLAIN;       // 2
  int32_t count = 0;                         // 3
};

struct SizeStatistics {
  std::optional<int64_t> unencoded_byte_array_data_bytes;  // 1
  std::vector<int64_t> repetition_level_histogram;         // 2
  std::vector<int64_t> definition_level_histogram;         // 3
};

struct ColumnMetaData {
  Type type = Type::BOOLEAN;                      // 1
  std::vector<Encoding> encodings;                // 2
  std::vector<std::string> path_in_schema;        // 3
  Codec codec = Codec::UNCOMPRESSED;              // 4
  int64_t num_values = 0;                         // 5
  int64_t total_uncompressed_size = 0;            // 6
  int64_t total_compressed_size = 0;              // 7
  std::vector<KeyValue> key_value_metadata;       // 8
  int64_t data_page_offset = 0;                   // 9
  std::optional<int64_t> index_page_offset;       // 10
  std::optional<int64_t> dictionary_page_offset;  // 11
  std::optional<Statistics> statistics;           // 12
  std::vector<PageEncodingStats> encoding_stats;  // 13
  std::optional<int64_t> bloom_filter_offset;     // 14
  std::optional<int32_t> bloom_filter_length;     // 15
  std::optional<SizeStatistics> size_statistics;  // 16
};

struct ColumnChunk {
  std::optional<std::string> file_path;        // 1
  int64_t file_offset = 0;                     // 2
  std::optional<ColumnMetaData> meta_data;     // 3 (absent when encrypted)
  std::optional<int64_t> offset_index_offset;  // 4
  std::optional<int32_t> offset_index_length;  // 5
  std::optional<int64_t> column_index_offset;  // 6
  std::optional<int32_t> column_index_length;  // 7
  bool has_crypto_metadata = false;            // 8 (present => encrypted column)
  bool has_encrypted_column_metadata = false;  // 9
};

struct RowGroup {
  std::vector<ColumnChunk> columns;              // 1
  int64_t total_byte_size = 0;                   // 2
  int64_t num_rows = 0;                          // 3
  std::vector<SortingColumn> sorting_columns;    // 4
  std::optional<int64_t> file_offset;            // 5
  std::optional<int64_t> total_compressed_size;  // 6
  std::optional<int16_t> ordinal;                // 7
};

// ColumnOrder union: 1 = TypeDefinedOrder, 2 = IEEE754TotalOrder.
enum class ColumnOrder : int32_t { UNKNOWN = 0, TYPE_DEFINED = 1, IEEE754_TOTAL = 2 };

struct FileMetaData {
  int32_t version = 0;                       // 1
  std::vector<SchemaElement> schema;         // 2 (depth-first, root first)
  int64_t num_rows = 0;                      // 3
  std::vector<RowGroup> row_groups;          // 4
  std::vector<KeyValue> key_value_metadata;  // 5
  std::optional<std::string> created_by;     // 6
  std::vector<ColumnOrder> column_orders;    // 7
  bool has_encryption_algorithm = false;     // 8 (plaintext footer of an encrypted file)
};

struct DataPageHeader {
  int32_t num_values = 0;                              // 1
  Encoding encoding = Encoding::PLAIN;                 // 2
  Encoding definition_level_encoding = Encoding::RLE;  // 3
  Encoding repetition_level_encoding = Encoding::RLE;  // 4
  std::optional<Statistics> statistics;                // 5
};

struct DictionaryPageHeader {
  int32_t num_values = 0;               // 1
  Encoding encoding = Encoding::PLAIN;  // 2
  std::optional<bool> is_sorted;        // 3
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;                     // 1
  int32_t num_nulls = 0;                      // 2
  int32_t num_rows = 0;                       // 3
  Encoding encoding = Encoding::PLAIN;        // 4
  int32_t definition_levels_byte_length = 0;  // 5
  int32_t repetition_levels_byte_length = 0;  // 6
  bool is_compressed = true;                  // 7 (default true)
  std::optional<Statistics> statistics;       // 8
};

struct PageHeader {
  PageType type = PageType::DATA_PAGE;                         // 1
  int32_t uncompressed_page_size = 0;                          // 2
  int32_t compressed_page_size = 0;                            // 3
  std::optional<int32_t> crc;                                  // 4
  std::optional<DataPageHeader> data_page_header;              // 5
  bool has_index_page_header = false;                          // 6
  std::optional<DictionaryPageHeader> dictionary_page_header;  // 7
  std::optional<DataPageHeaderV2> data_page_header_v2;         // 8
};

struct PageLocation {
  int64_t offset = 0;                // 1
  int32_t compressed_page_size = 0;  // 2
  int64_t first_row_index = 0;       // 3
};

struct OffsetIndex {
  std::vector<PageLocation> page_locations;              // 1
  std::vector<int64_t> unencoded_byte_array_data_bytes;  // 2
};

struct ColumnIndex {
  std::vector<bool> null_pages;                             // 1
  std::vector<std::string> min_values;                      // 2
  std::vector<std::string> max_values;                      // 3
  BoundaryOrder boundary_order = BoundaryOrder::UNORDERED;  // 4
  std::vector<int64_t> null_counts;                         // 5 (empty when absent)
  std::vector<int64_t> repetition_level_histograms;         // 6
  std::vector<int64_t> definition_level_histograms;         // 7
};

// Split-block bloom filter header (the only algorithm/hash/compression the
// format defines: BLOCK, XXHASH, UNCOMPRESSED; others are rejected).
struct BloomFilterHeader {
  int32_t num_bytes = 0;  // 1
  // 2 algorithm, 3 hash, 4 compression: validated on decode.
};

// Names for printing (enum value -> "SNAPPY" etc.; unknown values -> "UNKNOWN(n)").
std::string to_string(Type t);
std::string to_string(ConvertedType t);
std::string to_string(Repetition r);
std::string to_string(Encoding e);
std::string to_string(Codec c);
std::string to_string(PageType t);
std::string to_string(BoundaryOrder o);
std::string to_string(const LogicalType& t);  // e.g. "STRING", "DECIMAL(10,2)", "TIMESTAMP(MICROS,true)"

}  // namespace mimicit::parquet
