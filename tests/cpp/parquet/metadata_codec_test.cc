// Tests of the Parquet metadata codec: round trips of every struct (all
// optional fields set, and none), the footers and page headers of every file
// of the parquet-testing corpus, and robustness against truncated, mutated,
// deeply nested and oversized input.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "mimicit/bytes.h"
#include "mimicit/error.h"
#include "mimicit/parquet/metadata.h"
#include "parquet/metadata_codec.h"
#include "parquet/thrift/compact_writer.h"
#include "test_data.h"

namespace mimicit::parquet {
namespace {

namespace fs = std::filesystem;
using thrift::CompactWriter;

// ---------------------------------------------------------------------------
// A textual dump of every member, so that round trips compare all fields and
// a failure shows which one differs.

std::string dump(const Statistics& v);
std::string dump(const LogicalType& v);
std::string dump(const SchemaElement& v);
std::string dump(const KeyValue& v);
std::string dump(const SortingColumn& v);
std::string dump(const PageEncodingStats& v);
std::string dump(const SizeStatistics& v);
std::string dump(const ColumnMetaData& v);
std::string dump(const ColumnChunk& v);
std::string dump(const RowGroup& v);
std::string dump(const FileMetaData& v);
std::string dump(const DataPageHeader& v);
std::string dump(const DictionaryPageHeader& v);
std::string dump(const DataPageHeaderV2& v);
std::string dump(const PageHeader& v);
std::string dump(const PageLocation& v);
std::string dump(const OffsetIndex& v);
std::string dump(const ColumnIndex& v);

template <typename T>
std::string show(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<int64_t>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(static_cast<int64_t>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    std::string s = "'";  // built by appending: GCC 12 -Wrestrict misfires on "x" + string
    s += v;
    s += "'";
    return s;
  } else {
    std::string s = "{";
    s += dump(v);
    s += "}";
    return s;
  }
}

template <typename T>
std::string show(const std::optional<T>& v) {
  return v ? show(*v) : "unset";
}

template <typename T>
std::string show(const std::vector<T>& v) {
  std::string s = "[";
  for (const auto& e : v) {
    s += show<T>(e);
    s += ",";
  }
  s += "]";
  return s;
}

#define FIELD(name) (s += #name "=", s += show(v.name), s += ";")

std::string dump(const Statistics& v) {
  std::string s;
  FIELD(max);
  FIELD(min);
  FIELD(null_count);
  FIELD(distinct_count);
  FIELD(max_value);
  FIELD(min_value);
  FIELD(is_max_value_exact);
  FIELD(is_min_value_exact);
  return s;
}
std::string dump(const LogicalType& v) {
  std::string s;
  FIELD(kind);
  FIELD(scale);
  FIELD(precision);
  FIELD(is_adjusted_to_utc);
  FIELD(unit);
  FIELD(bit_width);
  FIELD(is_signed);
  return s;
}
std::string dump(const SchemaElement& v) {
  std::string s;
  FIELD(type);
  FIELD(type_length);
  FIELD(repetition_type);
  FIELD(name);
  FIELD(num_children);
  FIELD(converted_type);
  FIELD(scale);
  FIELD(precision);
  FIELD(field_id);
  FIELD(logical_type);
  return s;
}
std::string dump(const KeyValue& v) {
  std::string s;
  FIELD(key);
  FIELD(value);
  return s;
}
std::string dump(const SortingColumn& v) {
  std::string s;
  FIELD(column_idx);
  FIELD(descending);
  FIELD(nulls_first);
  return s;
}
std::string dump(const PageEncodingStats& v) {
  std::string s;
  FIELD(page_type);
  FIELD(encoding);
  FIELD(count);
  return s;
}
std::string dump(const SizeStatistics& v) {
  std::string s;
  FIELD(unencoded_byte_array_data_bytes);
  FIELD(repetition_level_histogram);
  FIELD(definition_level_histogram);
  return s;
}
std::string dump(const ColumnMetaData& v) {
  std::string s;
  FIELD(type);
  FIELD(encodings);
  FIELD(path_in_schema);
  FIELD(codec);
  FIELD(num_values);
  FIELD(total_uncompressed_size);
  FIELD(total_compressed_size);
  FIELD(key_value_metadata);
  FIELD(data_page_offset);
  FIELD(index_page_offset);
  FIELD(dictionary_page_offset);
  FIELD(statistics);
  FIELD(encoding_stats);
  FIELD(bloom_filter_offset);
  FIELD(bloom_filter_length);
  FIELD(size_statistics);
  return s;
}
std::string dump(const ColumnChunk& v) {
  std::string s;
  FIELD(file_path);
  FIELD(file_offset);
  FIELD(meta_data);
  FIELD(offset_index_offset);
  FIELD(offset_index_length);
  FIELD(column_index_offset);
  FIELD(column_index_length);
  FIELD(has_crypto_metadata);
  FIELD(has_encrypted_column_metadata);
  return s;
}
std::string dump(const RowGroup& v) {
  std::string s;
  FIELD(columns);
  FIELD(total_byte_size);
  FIELD(num_rows);
  FIELD(sorting_columns);
  FIELD(file_offset);
  FIELD(total_compressed_size);
  FIELD(ordinal);
  return s;
}
std::string dump(const FileMetaData& v) {
  std::string s;
  FIELD(version);
  FIELD(schema);
  FIELD(num_rows);
  FIELD(row_groups);
  FIELD(key_value_metadata);
  FIELD(created_by);
  FIELD(column_orders);
  FIELD(has_encryption_algorithm);
  return s;
}
std::string dump(const DataPageHeader& v) {
  std::string s;
  FIELD(num_values);
  FIELD(encoding);
  FIELD(definition_level_encoding);
  FIELD(repetition_level_encoding);
  FIELD(statistics);
  return s;
}
std::string dump(const DictionaryPageHeader& v) {
  std::string s;
  FIELD(num_values);
  FIELD(encoding);
  FIELD(is_sorted);
  return s;
}
std::string dump(const DataPageHeaderV2& v) {
  std::string s;
  FIELD(num_values);
  FIELD(num_nulls);
  FIELD(num_rows);
  FIELD(encoding);
  FIELD(definition_levels_byte_length);
  FIELD(repetition_levels_byte_length);
  FIELD(is_compressed);
  FIELD(statistics);
  return s;
}
std::string dump(const PageHeader& v) {
  std::string s;
  FIELD(type);
  FIELD(uncompressed_page_size);
  FIELD(compressed_page_size);
  FIELD(crc);
  FIELD(data_page_header);
  FIELD(has_index_page_header);
  FIELD(dictionary_page_header);
  FIELD(data_page_header_v2);
  return s;
}
std::string dump(const PageLocation& v) {
  std::string s;
  FIELD(offset);
  FIELD(compressed_page_size);
  FIELD(first_row_index);
  return s;
}
std::string dump(const OffsetIndex& v) {
  std::string s;
  FIELD(page_locations);
  FIELD(unencoded_byte_array_data_bytes);
  return s;
}
std::string dump(const ColumnIndex& v) {
  std::string s;
  FIELD(null_pages);
  FIELD(min_values);
  FIELD(max_values);
  FIELD(boundary_order);
  FIELD(null_counts);
  FIELD(repetition_level_histograms);
  FIELD(definition_level_histograms);
  return s;
}

#undef FIELD

// ---------------------------------------------------------------------------
// Values with every optional member set (to distinct, non-default values).

Statistics full_statistics(int seed) {
  Statistics s;
  s.max = "max" + std::to_string(seed);
  s.min = std::string("m\0in", 4);
  s.null_count = 3 + seed;
  s.distinct_count = 1LL << 40;
  s.max_value = "\xff\xfe";
  s.min_value = "";
  s.is_max_value_exact = true;
  s.is_min_value_exact = false;
  return s;
}

LogicalType logical(int32_t kind) {
  LogicalType t;
  t.kind = kind;
  switch (kind) {
    case LogicalType::DECIMAL:
      t.scale = 2;
      t.precision = 38;
      break;
    case LogicalType::TIME:
      t.is_adjusted_to_utc = false;
      t.unit = TimeUnit::NANOS;
      break;
    case LogicalType::TIMESTAMP:
      t.is_adjusted_to_utc = true;
      t.unit = TimeUnit::MICROS;
      break;
    case LogicalType::INTEGER:
      t.bit_width = 16;
      t.is_signed = false;
      break;
  }
  return t;
}

SchemaElement leaf(std::string name, Type type, int32_t logical_kind) {
  SchemaElement e;
  e.type = type;
  e.repetition_type = Repetition::OPTIONAL;
  e.name = std::move(name);
  e.logical_type = logical(logical_kind);
  return e;
}

ColumnMetaData full_column_metadata() {
  ColumnMetaData m;
  m.type = Type::BYTE_ARRAY;
  m.encodings = {Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY};
  m.path_in_schema = {"a", "list", "element"};
  m.codec = Codec::ZSTD;
  m.num_values = 5'000'000'000LL;
  m.total_uncompressed_size = 6'000'000'000LL;
  m.total_compressed_size = 7'000'000'000LL;
  m.key_value_metadata = {{"k", "v"}, {"k2", std::nullopt}};
  m.data_page_offset = 4'000'000'000LL;
  m.index_page_offset = 11;
  m.dictionary_page_offset = 4;
  m.statistics = full_statistics(1);
  m.encoding_stats = {{PageType::DICTIONARY_PAGE, Encoding::PLAIN, 1},
                      {PageType::DATA_PAGE, Encoding::RLE_DICTIONARY, 17}};
  m.bloom_filter_offset = 123456789;
  m.bloom_filter_length = 4096;
  m.size_statistics = SizeStatistics{};
  m.size_statistics->unencoded_byte_array_data_bytes = 999;
  m.size_statistics->repetition_level_histogram = {1, 2, 3};
  m.size_statistics->definition_level_histogram = {4, 5};
  return m;
}

FileMetaData full_file_metadata() {
  FileMetaData m;
  m.version = 2;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 9;
  m.schema.push_back(root);
  m.schema.push_back(leaf("s", Type::BYTE_ARRAY, LogicalType::STRING));
  m.schema.push_back(leaf("d", Type::FIXED_LEN_BYTE_ARRAY, LogicalType::DECIMAL));
  m.schema.back().type_length = 16;
  m.schema.back().converted_type = ConvertedType::DECIMAL;
  m.schema.back().scale = 2;
  m.schema.back().precision = 38;
  m.schema.back().field_id = 7;
  m.schema.push_back(leaf("t", Type::INT64, LogicalType::TIME));
  m.schema.push_back(leaf("ts", Type::INT64, LogicalType::TIMESTAMP));
  m.schema.push_back(leaf("i", Type::INT32, LogicalType::INTEGER));
  m.schema.push_back(leaf("u", Type::FIXED_LEN_BYTE_ARRAY, LogicalType::UUID));
  m.schema.push_back(leaf("f", Type::FIXED_LEN_BYTE_ARRAY, LogicalType::FLOAT16));
  m.schema.push_back(leaf("x", Type::BYTE_ARRAY, 42));  // a kind from the future
  SchemaElement plain;
  plain.type = static_cast<Type>(99);  // out-of-range enums are kept
  plain.repetition_type = Repetition::REQUIRED;
  plain.name = "plain";
  m.schema.push_back(plain);
  m.num_rows = 1LL << 40;

  RowGroup g;
  ColumnChunk full;
  full.file_path = "other.parquet";
  full.file_offset = 77;
  full.meta_data = full_column_metadata();
  full.offset_index_offset = 1LL << 33;
  full.offset_index_length = 100;
  full.column_index_offset = (1LL << 33) + 100;
  full.column_index_length = 200;
  full.has_crypto_metadata = true;
  full.has_encrypted_column_metadata = true;
  g.columns.push_back(full);
  ColumnChunk bare;  // encrypted columns have no plaintext meta_data
  g.columns.push_back(bare);
  g.total_byte_size = 1LL << 35;
  g.num_rows = 1LL << 34;
  g.sorting_columns = {{0, true, false}, {3, false, true}};
  g.file_offset = 4;
  g.total_compressed_size = 1LL << 36;
  g.ordinal = 3;
  m.row_groups.push_back(g);
  m.row_groups.push_back(RowGroup{});
  m.key_value_metadata = {{"ARROW:schema", std::string("\0\1\2", 3)}, {"empty", ""}};
  m.created_by = "mimicit version 0.1.0";
  m.column_orders = {ColumnOrder::TYPE_DEFINED, ColumnOrder::IEEE754_TOTAL, ColumnOrder::UNKNOWN,
                     static_cast<ColumnOrder>(3)};
  m.has_encryption_algorithm = true;
  return m;
}

std::vector<PageHeader> page_headers() {
  std::vector<PageHeader> out;
  out.push_back(PageHeader{});  // only required fields
  PageHeader v1;
  v1.type = PageType::DATA_PAGE;
  v1.uncompressed_page_size = 1 << 20;
  v1.compressed_page_size = 1000;
  v1.crc = -123456;
  v1.data_page_header = DataPageHeader{};
  out.push_back(v1);
  v1.data_page_header->num_values = 500;
  v1.data_page_header->encoding = Encoding::DELTA_BYTE_ARRAY;
  v1.data_page_header->definition_level_encoding = Encoding::BIT_PACKED;
  v1.data_page_header->repetition_level_encoding = Encoding::RLE;
  v1.data_page_header->statistics = full_statistics(2);
  out.push_back(v1);
  PageHeader dict;
  dict.type = PageType::DICTIONARY_PAGE;
  dict.dictionary_page_header = DictionaryPageHeader{};
  out.push_back(dict);
  dict.dictionary_page_header->num_values = 9;
  dict.dictionary_page_header->encoding = Encoding::PLAIN_DICTIONARY;
  dict.dictionary_page_header->is_sorted = true;
  out.push_back(dict);
  PageHeader v2;
  v2.type = PageType::DATA_PAGE_V2;
  v2.data_page_header_v2 = DataPageHeaderV2{};
  out.push_back(v2);
  v2.data_page_header_v2->num_values = 10;
  v2.data_page_header_v2->num_nulls = 3;
  v2.data_page_header_v2->num_rows = 4;
  v2.data_page_header_v2->encoding = Encoding::BYTE_STREAM_SPLIT;
  v2.data_page_header_v2->definition_levels_byte_length = 5;
  v2.data_page_header_v2->repetition_levels_byte_length = 6;
  v2.data_page_header_v2->is_compressed = false;
  v2.data_page_header_v2->statistics = full_statistics(3);
  out.push_back(v2);
  PageHeader index;
  index.type = PageType::INDEX_PAGE;
  index.has_index_page_header = true;
  out.push_back(index);
  PageHeader odd;  // enum values from the future survive
  odd.type = static_cast<PageType>(42);
  odd.data_page_header = DataPageHeader{};
  odd.data_page_header->encoding = static_cast<Encoding>(77);
  out.push_back(odd);
  return out;
}

ColumnIndex full_column_index() {
  ColumnIndex ci;
  ci.null_pages = {false, true, false};
  ci.min_values = {"a", "", std::string("\0x", 2)};
  ci.max_values = {"b", "", "zz"};
  ci.boundary_order = BoundaryOrder::ASCENDING;
  ci.null_counts = {0, 10, 1};
  ci.repetition_level_histograms = {1, 2, 3, 4, 5, 6};
  ci.definition_level_histograms = {7, 8, 9};
  return ci;
}

OffsetIndex full_offset_index() {
  OffsetIndex oi;
  for (int i = 0; i < 20; ++i) oi.page_locations.push_back({4 + i * 1000LL, 1000, i * 50LL});
  oi.page_locations.push_back({1LL << 40, INT32_MAX, 1LL << 39});
  oi.unencoded_byte_array_data_bytes = {5, 6};
  return oi;
}

// ---------------------------------------------------------------------------
// Round trips.

// Encodes after a prefix (encoders append) and decodes what was appended.
template <typename T, typename Encode, typename Decode>
void expect_round_trip(const T& value, Encode encode, Decode decode) {
  Buffer buf;
  buf.append("prefix", 6);
  encode(value, buf);
  ByteView encoded = buf.view().subspan(6);
  T decoded = decode(encoded);
  EXPECT_EQ(dump(decoded), dump(value));
  // And the encoding is stable.
  Buffer again;
  encode(decoded, again);
  EXPECT_EQ(std::string(as_string_view(again.view())), std::string(as_string_view(encoded)));
}

TEST(MetadataCodec, FileMetaDataRoundTrip) {
  expect_round_trip(full_file_metadata(), encode_file_metadata, decode_file_metadata);
  expect_round_trip(FileMetaData{}, encode_file_metadata, decode_file_metadata);
}

TEST(MetadataCodec, FileMetaDataFieldsSurvive) {
  Buffer buf;
  encode_file_metadata(full_file_metadata(), buf);
  FileMetaData m = decode_file_metadata(buf);
  ASSERT_EQ(m.schema.size(), 10u);
  EXPECT_EQ(m.schema[2].logical_type->kind, LogicalType::DECIMAL);
  EXPECT_EQ(m.schema[2].logical_type->precision, 38);
  EXPECT_EQ(m.schema[3].logical_type->unit, TimeUnit::NANOS);
  EXPECT_EQ(m.schema[5].logical_type->bit_width, 16);
  EXPECT_FALSE(m.schema[5].logical_type->is_signed);
  EXPECT_EQ(m.schema[8].logical_type->kind, 42);
  EXPECT_EQ(static_cast<int>(*m.schema[9].type), 99);
  EXPECT_FALSE(m.schema[9].logical_type.has_value());
  EXPECT_EQ(m.row_groups[0].columns[0].meta_data->data_page_offset, 4'000'000'000LL);
  EXPECT_EQ(m.column_orders[3], static_cast<ColumnOrder>(3));
  EXPECT_TRUE(m.has_encryption_algorithm);
}

TEST(MetadataCodec, PageHeaderRoundTrip) {
  for (const PageHeader& h : page_headers()) {
    Buffer buf;
    encode_page_header(h, buf);
    size_t encoded_size = buf.size();
    buf.append("page data follows", 17);
    size_t header_size = 0;
    PageHeader decoded = decode_page_header(buf, &header_size);
    EXPECT_EQ(header_size, encoded_size);
    EXPECT_EQ(dump(decoded), dump(h));
  }
}

TEST(MetadataCodec, DataPageHeaderV2IsCompressedDefaultsToTrue) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, 3);  // DATA_PAGE_V2
  w.field_i32(2, 10);
  w.field_i32(3, 10);
  w.field_begin(8, thrift::kStruct);
  w.struct_begin();
  for (int16_t id = 1; id <= 6; ++id) w.field_i32(id, 0);
  w.struct_end();
  w.struct_end();
  size_t n;
  PageHeader h = decode_page_header(buf, &n);
  ASSERT_TRUE(h.data_page_header_v2.has_value());
  EXPECT_TRUE(h.data_page_header_v2->is_compressed);
}

TEST(MetadataCodec, PageIndexRoundTrip) {
  expect_round_trip(full_column_index(), encode_column_index, decode_column_index);
  expect_round_trip(ColumnIndex{}, encode_column_index, decode_column_index);
  expect_round_trip(full_offset_index(), encode_offset_index, decode_offset_index);
  expect_round_trip(OffsetIndex{}, encode_offset_index, decode_offset_index);
}

TEST(MetadataCodec, NullPagesAreCompactBools) {
  ColumnIndex ci;
  ci.null_pages = {true, false};
  Buffer buf;
  encode_column_index(ci, buf);
  // Field 1 list<bool> of 2: header 0x19, list header 0x21, bytes 1 and 2.
  ASSERT_GE(buf.size(), 4u);
  EXPECT_EQ(buf.data()[0], 0x19);
  EXPECT_EQ(buf.data()[1], 0x21);
  EXPECT_EQ(buf.data()[2], 1);
  EXPECT_EQ(buf.data()[3], 2);
}

TEST(MetadataCodec, BloomFilterHeaderRoundTrip) {
  BloomFilterHeader h;
  h.num_bytes = 1 << 20;
  Buffer buf;
  encode_bloom_filter_header(h, buf);
  std::vector<uint8_t> expected = {0x15, 0x80, 0x80, 0x80, 0x01, 0x1c, 0x1c, 0x00, 0x00,
                                   0x1c, 0x1c, 0x00, 0x00, 0x1c, 0x1c, 0x00, 0x00, 0x00};
  EXPECT_EQ(std::vector<uint8_t>(buf.data(), buf.data() + buf.size()), expected);
  size_t encoded_size = buf.size();
  buf.append("bitset", 6);
  size_t header_size = 0;
  EXPECT_EQ(decode_bloom_filter_header(buf, &header_size).num_bytes, 1 << 20);
  EXPECT_EQ(header_size, encoded_size);
}

TEST(MetadataNames, PrintEnumsAndLogicalTypes) {
  EXPECT_EQ(to_string(Type::FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
  EXPECT_EQ(to_string(static_cast<Type>(8)), "UNKNOWN(8)");
  EXPECT_EQ(to_string(ConvertedType::INTERVAL), "INTERVAL");
  EXPECT_EQ(to_string(Repetition::REPEATED), "REPEATED");
  EXPECT_EQ(to_string(Encoding::RLE_DICTIONARY), "RLE_DICTIONARY");
  EXPECT_EQ(to_string(static_cast<Encoding>(1)), "UNKNOWN(1)");
  EXPECT_EQ(to_string(static_cast<Encoding>(-3)), "UNKNOWN(-3)");
  EXPECT_EQ(to_string(Codec::LZ4_RAW), "LZ4_RAW");
  EXPECT_EQ(to_string(PageType::DATA_PAGE_V2), "DATA_PAGE_V2");
  EXPECT_EQ(to_string(BoundaryOrder::DESCENDING), "DESCENDING");
  EXPECT_EQ(to_string(logical(LogicalType::STRING)), "STRING");
  EXPECT_EQ(to_string(logical(LogicalType::DECIMAL)), "DECIMAL(38,2)");
  EXPECT_EQ(to_string(logical(LogicalType::TIMESTAMP)), "TIMESTAMP(MICROS,true)");
  EXPECT_EQ(to_string(logical(LogicalType::TIME)), "TIME(NANOS,false)");
  EXPECT_EQ(to_string(logical(LogicalType::INTEGER)), "INTEGER(16,false)");
  EXPECT_EQ(to_string(logical(LogicalType::UNKNOWN)), "UNKNOWN");
  EXPECT_EQ(to_string(logical(9)), "UNKNOWN(9)");
  EXPECT_EQ(to_string(logical(42)), "UNKNOWN(42)");
  EXPECT_EQ(to_string(LogicalType{}), "NONE");
}

// ---------------------------------------------------------------------------
// Hand-made malformed metadata.

template <typename Fn>
void expect_error(Fn&& fn, ErrorCode code, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(e.message().find(needle), std::string::npos) << e.what();
  }
}

TEST(MetadataCodec, MissingRequiredFieldsAreNamed) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, 0);
  w.field_i32(2, 10);
  w.struct_end();
  size_t n;
  expect_error([&] { decode_page_header(buf, &n); }, ErrorCode::kCorrupt,
               "thrift: PageHeader is missing required field 'compressed_page_size'");

  Buffer decimal;
  CompactWriter d(decimal);
  d.struct_begin();
  d.field_i32(1, 0);
  d.field_begin(2, thrift::kList);
  d.list_begin(thrift::kStruct, 1);
  d.struct_begin();
  d.field_binary(4, "x");
  d.field_begin(10, thrift::kStruct);
  d.struct_begin();
  d.field_begin(LogicalType::DECIMAL, thrift::kStruct);
  d.struct_begin();
  d.field_i32(1, 2);
  d.struct_end();
  d.struct_end();
  d.struct_end();
  d.field_i64(3, 0);
  d.field_list_begin(4, thrift::kStruct, 0);
  d.struct_end();
  expect_error([&] { decode_file_metadata(decimal); }, ErrorCode::kCorrupt,
               "thrift: DecimalType is missing required field 'precision'");

  Buffer empty_struct;
  CompactWriter e(empty_struct);
  e.struct_begin();
  e.struct_end();
  expect_error([&] { decode_file_metadata(empty_struct); }, ErrorCode::kCorrupt,
               "FileMetaData is missing required field 'version'");
  expect_error([&] { decode_offset_index(empty_struct); }, ErrorCode::kCorrupt,
               "OffsetIndex is missing required field 'page_locations'");
  expect_error([&] { decode_column_index(empty_struct); }, ErrorCode::kCorrupt,
               "ColumnIndex is missing required field 'null_pages'");
  expect_error([&] { decode_bloom_filter_header(empty_struct, &n); }, ErrorCode::kCorrupt,
               "BloomFilterHeader is missing required field 'numBytes'");
}

TEST(MetadataCodec, FieldsOfTheWrongTypeAreSkipped) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, 0);
  w.field_binary(2, "not an i32");  // skipped, so the required field is missing
  w.field_i32(3, 10);
  w.struct_end();
  size_t n;
  expect_error([&] { decode_page_header(buf, &n); }, ErrorCode::kCorrupt,
               "missing required field 'uncompressed_page_size'");
}

TEST(MetadataCodec, UnknownFieldsAreSkipped) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, 2);       // DICTIONARY_PAGE
  w.field_double(2, 1.5);  // wrong type: skipped
  w.field_i32(2, 100);
  w.field_i32(3, 50);
  w.field_begin(7, thrift::kStruct);
  w.struct_begin();
  w.field_i32(1, 9);
  w.field_i32(2, 0);
  w.field_begin(50, thrift::kMap);  // unknown, inside a known struct
  w.map_begin(thrift::kBinary, thrift::kList, 1);
  w.write_binary("k");
  w.list_begin(thrift::kBoolTrue, 2);
  w.write_bool(true);
  w.write_bool(false);
  w.struct_end();
  w.field_bool(20, true);
  w.field_byte(21, 1);
  w.field_i16(22, 2);
  w.field_i64(23, 3);
  w.field_binary(24, "four");
  w.field_list_begin(25, thrift::kStruct, 1);
  w.struct_begin();
  w.field_i32(1, 1);
  w.struct_end();
  w.field_begin(26, thrift::kSet);
  w.list_begin(thrift::kI32, 1);
  w.write_i32(5);
  w.field_begin(27, thrift::kUuid);
  for (int i = 0; i < 16; ++i) w.write_byte(0);
  w.field_i32(-5, 6);
  w.struct_end();
  size_t n = 0;
  PageHeader h = decode_page_header(buf, &n);
  EXPECT_EQ(n, buf.size());
  EXPECT_EQ(h.type, PageType::DICTIONARY_PAGE);
  EXPECT_EQ(h.uncompressed_page_size, 100);
  EXPECT_EQ(h.compressed_page_size, 50);
  ASSERT_TRUE(h.dictionary_page_header.has_value());
  EXPECT_EQ(h.dictionary_page_header->num_values, 9);
}

void write_bloom_header(Buffer& buf, int algorithm, int hash, int compression) {
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, 64);
  const int members[] = {algorithm, hash, compression};
  for (int16_t id = 2; id <= 4; ++id) {
    w.field_begin(id, thrift::kStruct);
    w.struct_begin();
    if (members[id - 2] > 0) {
      w.field_begin(static_cast<int16_t>(members[id - 2]), thrift::kStruct);
      w.struct_begin();
      w.struct_end();
    }
    w.struct_end();
  }
  w.struct_end();
}

TEST(MetadataCodec, BloomFilterHeaderRejectsOtherAlgorithms) {
  size_t n;
  Buffer ok;
  write_bloom_header(ok, 1, 1, 1);
  EXPECT_EQ(decode_bloom_filter_header(ok, &n).num_bytes, 64);
  Buffer algorithm;
  write_bloom_header(algorithm, 2, 1, 1);
  expect_error([&] { decode_bloom_filter_header(algorithm, &n); }, ErrorCode::kUnsupported, "algorithm");
  Buffer hash;
  write_bloom_header(hash, 1, 3, 1);
  expect_error([&] { decode_bloom_filter_header(hash, &n); }, ErrorCode::kUnsupported, "hash");
  Buffer compression;
  write_bloom_header(compression, 1, 1, 2);
  expect_error([&] { decode_bloom_filter_header(compression, &n); }, ErrorCode::kUnsupported, "compression");
  Buffer empty;
  write_bloom_header(empty, 0, 1, 1);
  expect_error([&] { decode_bloom_filter_header(empty, &n); }, ErrorCode::kCorrupt, "no member");
}

TEST(MetadataCodec, DeepNestingIsAnErrorNotAStackOverflow) {
  // FileMetaData { 1: version, 100: struct { 1: struct { 1: struct ... } } }
  std::vector<uint8_t> bytes = {0x15, 0x02, 0x0c, 0xc8, 0x01};  // field 100 (long form)
  bytes.insert(bytes.end(), 1000, 0x1c);
  bytes.insert(bytes.end(), 1002, 0x00);
  expect_error([&] { decode_file_metadata(bytes); }, ErrorCode::kCorrupt, "nesting deeper than 64");
  size_t n;
  expect_error([&] { decode_page_header(bytes, &n); }, ErrorCode::kCorrupt, "nesting");

  // Nesting through known fields: version, then a schema list of one
  // SchemaElement { 4: "x", 10: LogicalType { 31 (unknown): struct { 1: list
  // of lists of lists ... } } }.
  std::vector<uint8_t> lists = {0x15, 0x02, 0x19, 0x1c, 0x48, 0x01, 'x', 0x6c, 0x0c, 0x3e, 0x19};
  lists.insert(lists.end(), 1000, 0x19);
  lists.insert(lists.end(), 10, 0x00);
  expect_error([&] { decode_file_metadata(lists); }, ErrorCode::kCorrupt, "nesting");
}

TEST(MetadataCodec, HugeListClaimsFailWithoutAllocating) {
  // FileMetaData { 1: version 1, 2: list<struct> of 2^31 elements } in 10 bytes.
  std::vector<uint8_t> bytes = {0x15, 0x02, 0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00};
  expect_error([&] { decode_file_metadata(bytes); }, ErrorCode::kCorrupt,
               "list of 2147483648 elements exceeds");
  // A claim the remaining bytes allow, of elements far larger in memory than
  // on the wire: refused by the allocation budget before reserving.
  std::vector<uint8_t> many = {0x15, 0x02, 0x19, 0xfc, 0x80, 0x80, 0x80, 0x01};
  many.resize(many.size() + (1 << 21), 0x00);  // 2^21 SchemaElements of 1 byte
  expect_error([&] { decode_file_metadata(many); }, ErrorCode::kLimit, "more bytes of memory than");
  // Genuinely decodable 3-byte ColumnChunks {2: file_offset 0} of ~600 bytes
  // each: refused too, not decoded into 200 times the input.
  // version 1, schema [], num_rows 0, row_groups [{columns: [65536 chunks]}]
  std::vector<uint8_t> chunks = {0x15, 0x02, 0x19, 0x0c, 0x16, 0x00, 0x19,
                                 0x1c, 0x19, 0xfc, 0x80, 0x80, 0x04};
  for (int i = 0; i < 65536; ++i) chunks.insert(chunks.end(), {0x26, 0x00, 0x00});
  expect_error([&] { decode_file_metadata(chunks); }, ErrorCode::kLimit, "memory");
  // 2^31 - 1 i64 values against 4 bytes.
  std::vector<uint8_t> ci = {0x19, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0, 0};
  expect_error([&] { decode_column_index(ci); }, ErrorCode::kCorrupt, "exceeds");
}

// ---------------------------------------------------------------------------
// The parquet-testing corpus.

struct Footer {
  size_t offset = 0;  // of the metadata in the file
  size_t size = 0;
  bool encrypted = false;
};

// The footer location, or nullopt when the file is not Parquet.
std::optional<Footer> find_footer(const std::vector<uint8_t>& file) {
  if (file.size() < 12) return std::nullopt;
  std::string magic(file.end() - 4, file.end());
  if (magic != "PAR1" && magic != "PARE") return std::nullopt;
  uint32_t len;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  if (len > file.size() - 12) return std::nullopt;
  return Footer{file.size() - 8 - len, len, magic == "PARE"};
}

std::vector<fs::path> parquet_files(const std::string& folder) {
  std::vector<fs::path> out;
  fs::path dir = mimicit::testing::testdata_dir() / "parquet-testing" / folder;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".parquet") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t leaf_count(const FileMetaData& m) {
  size_t leaves = 0;
  for (size_t i = 1; i < m.schema.size(); ++i) leaves += !m.schema[i].num_children.has_value();
  return leaves;
}

ByteView slice(const std::vector<uint8_t>& file, int64_t offset, int64_t length) {
  if (offset < 0 || length < 0 || static_cast<uint64_t>(offset) > file.size() ||
      static_cast<uint64_t>(length) > file.size() - offset) {
    return {};
  }
  return ByteView(file.data() + offset, static_cast<size_t>(length));
}

// Walks the page headers of a column chunk; returns the number of pages.
size_t walk_pages(const std::vector<uint8_t>& file, const ColumnMetaData& m) {
  // The first page: the dictionary's if any. Some writers leave one of the
  // two offsets 0 (inside the "PAR1" magic), so only offsets >= 4 count.
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset >= 4 &&
      (start < 4 || *m.dictionary_page_offset < start)) {
    start = *m.dictionary_page_offset;
  }
  ByteView chunk = slice(file, start, m.total_compressed_size);
  if (chunk.empty()) ADD_FAILURE() << "column chunk outside the file";
  size_t pos = 0, pages = 0;
  while (pos < chunk.size()) {
    size_t header_size = 0;
    PageHeader h = decode_page_header(chunk.subspan(pos), &header_size);
    EXPECT_GT(header_size, 0u);
    EXPECT_GE(h.compressed_page_size, 0);
    // Re-encoding gives back the same struct.
    Buffer again;
    encode_page_header(h, again);
    size_t n;
    EXPECT_EQ(dump(decode_page_header(again, &n)), dump(h));
    pos += header_size + static_cast<size_t>(std::max(h.compressed_page_size, 0));
    ++pages;
  }
  return pages;
}

TEST(MetadataCodecCorpus, DecodesEveryFooterAndPageHeader) {
  std::vector<fs::path> files = parquet_files("data");
  if (files.empty())
    GTEST_SKIP() << "parquet-testing corpus not found under " << mimicit::testing::testdata_dir();
  size_t decoded = 0, page_indexes = 0, bloom_filters = 0;
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.filename().string());
    std::vector<uint8_t> file = mimicit::testing::read_file_bytes(path);
    std::optional<Footer> footer = find_footer(file);
    ASSERT_TRUE(footer.has_value());
    if (footer->encrypted) continue;
    ByteView bytes(file.data() + footer->offset, footer->size);
    FileMetaData m;
    ASSERT_NO_THROW(m = decode_file_metadata(bytes));
    ++decoded;
    ASSERT_FALSE(m.schema.empty());
    EXPECT_FALSE(m.schema[0].type.has_value());  // the root is a group
    size_t leaves = leaf_count(m);
    if (!m.column_orders.empty()) {
      EXPECT_EQ(m.column_orders.size(), leaves);
    }
    for (const RowGroup& g : m.row_groups) {
      ASSERT_EQ(g.columns.size(), leaves);
      for (const ColumnChunk& c : g.columns) {
        ASSERT_TRUE(c.meta_data.has_value());
        EXPECT_FALSE(c.meta_data->path_in_schema.empty());
        try {
          EXPECT_GT(walk_pages(file, *c.meta_data), 0u);
        } catch (const Error& e) {
          ADD_FAILURE() << "column " << c.meta_data->path_in_schema.back() << ": " << e.what();
        }
        if (c.offset_index_offset && c.offset_index_length) {
          OffsetIndex oi = decode_offset_index(slice(file, *c.offset_index_offset, *c.offset_index_length));
          EXPECT_FALSE(oi.page_locations.empty());
          ++page_indexes;
        }
        if (c.column_index_offset && c.column_index_length) {
          ColumnIndex ci = decode_column_index(slice(file, *c.column_index_offset, *c.column_index_length));
          EXPECT_EQ(ci.min_values.size(), ci.null_pages.size());
          EXPECT_EQ(ci.max_values.size(), ci.null_pages.size());
          ++page_indexes;
        }
        if (c.meta_data->bloom_filter_offset) {
          size_t header_size = 0;
          int64_t offset = *c.meta_data->bloom_filter_offset;
          BloomFilterHeader h = decode_bloom_filter_header(
              slice(file, offset, static_cast<int64_t>(file.size()) - offset), &header_size);
          EXPECT_GT(h.num_bytes, 0);
          ++bloom_filters;
        }
      }
    }
    // A real footer survives re-encoding.
    Buffer again;
    encode_file_metadata(m, again);
    EXPECT_EQ(dump(decode_file_metadata(again)), dump(m));
  }
  EXPECT_GT(decoded, 40u);
  EXPECT_GT(page_indexes, 0u);
  EXPECT_GT(bloom_filters, 0u);
}

// Files that are broken elsewhere must still decode or fail cleanly here.
TEST(MetadataCodecCorpus, BadDataNeverCrashes) {
  std::vector<fs::path> files = parquet_files("bad_data");
  if (files.empty())
    GTEST_SKIP() << "parquet-testing corpus not found under " << mimicit::testing::testdata_dir();
  for (const fs::path& path : files) {
    std::vector<uint8_t> file = mimicit::testing::read_file_bytes(path);
    std::optional<Footer> footer = find_footer(file);
    if (!footer || footer->encrypted) continue;
    try {
      decode_file_metadata(ByteView(file.data() + footer->offset, footer->size));
    } catch (const Error&) {
    }
  }
}

// Decodes `bytes` as every kind of metadata; errors are fine, crashes not.
// Returns the number of decoders that succeeded.
int decode_all_ways(ByteView bytes) {
  int ok = 0;
  size_t n;
  auto attempt = [&](auto&& fn) {
    try {
      fn();
      ++ok;
    } catch (const Error&) {
    }
  };
  attempt([&] { decode_file_metadata(bytes); });
  attempt([&] { decode_page_header(bytes, &n); });
  attempt([&] { decode_column_index(bytes); });
  attempt([&] { decode_offset_index(bytes); });
  attempt([&] { decode_bloom_filter_header(bytes, &n); });
  return ok;
}

std::vector<uint8_t> corpus_footer(const std::string& name) {
  std::vector<uint8_t> file =
      mimicit::testing::read_file_bytes(mimicit::testing::testdata_dir() / "parquet-testing" / "data" / name);
  std::optional<Footer> footer = find_footer(file);
  if (!footer) return {};
  return {file.begin() + footer->offset, file.begin() + footer->offset + footer->size};
}

TEST(MetadataCodecCorpus, EveryTruncatedFooterFails) {
  for (const char* name : {"alltypes_tiny_pages.parquet", "nested_structs.rust.parquet",
                           "data_index_bloom_encoding_stats.parquet"}) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> footer = corpus_footer(name);
    if (footer.empty()) GTEST_SKIP() << "parquet-testing corpus not found";
    for (size_t n = 0; n < footer.size(); ++n) {
      EXPECT_THROW(decode_file_metadata(ByteView(footer.data(), n)), Error) << n << " bytes";
    }
    EXPECT_NO_THROW(decode_file_metadata(footer));
  }
}

TEST(MetadataCodecCorpus, MutatedMetadataNeverCrashes) {
  std::vector<std::vector<uint8_t>> seeds;
  for (const char* name : {"alltypes_tiny_pages.parquet", "nested_structs.rust.parquet",
                           "data_index_bloom_encoding_stats.parquet", "nested_maps.snappy.parquet",
                           "datapage_v2.snappy.parquet"}) {
    std::vector<uint8_t> footer = corpus_footer(name);
    if (!footer.empty()) seeds.push_back(std::move(footer));
  }
  if (seeds.empty()) GTEST_SKIP() << "parquet-testing corpus not found";
  // Made-up metadata of every kind too.
  for (const PageHeader& h : page_headers()) {
    Buffer b;
    encode_page_header(h, b);
    seeds.emplace_back(b.data(), b.data() + b.size());
  }
  Buffer ci, oi, fm;
  encode_column_index(full_column_index(), ci);
  encode_offset_index(full_offset_index(), oi);
  encode_file_metadata(full_file_metadata(), fm);
  for (const Buffer* b : {&ci, &oi, &fm}) seeds.emplace_back(b->data(), b->data() + b->size());

  // MIMICIT_FUZZ_ITERATIONS runs more mutations (e.g. under ASan, by hand).
  const char* env = std::getenv("MIMICIT_FUZZ_ITERATIONS");
  const long iterations = env ? std::atol(env) : 4000;
  std::mt19937_64 rng(20240611);
  int decoded = 0;
  for (long i = 0; i < iterations; ++i) {
    std::vector<uint8_t> bytes = seeds[rng() % seeds.size()];
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t bit = rng() % (bytes.size() * 8);
      bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    if (rng() % 4 == 0) {  // sometimes overwrite a byte with a "large" varint byte
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(0x80 | rng());
    }
    if (rng() % 8 == 0) bytes.resize(rng() % (bytes.size() + 1));
    decoded += decode_all_ways(bytes);
  }
  EXPECT_GT(decoded, 0);  // some mutations are harmless; the point is no crash
}

}  // namespace
}  // namespace mimicit::parquet
