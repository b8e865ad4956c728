// Tests of the Thrift compact protocol reader and writer: round trips of
// every wire type, the exact wire bytes of a few values, and rejection of
// malformed input (truncation, oversized lengths, runaway nesting).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mimicit/bytes.h"
#include "mimicit/error.h"
#include "parquet/thrift/compact_reader.h"
#include "parquet/thrift/compact_writer.h"

namespace mimicit::parquet::thrift {
namespace {

std::vector<uint8_t> bytes_of(const Buffer& b) { return {b.data(), b.data() + b.size()}; }

// Expects fn() to throw Error(kCorrupt) whose message contains `needle`.
template <typename Fn>
void expect_corrupt(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
    EXPECT_NE(e.message().find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.message().rfind("thrift: ", 0), 0u) << e.what();
  }
}

TEST(ThriftCompact, VarintsAndZigzagRoundTrip) {
  const int64_t i64s[] = {0,
                          1,
                          -1,
                          63,
                          -64,
                          64,
                          300,
                          -300,
                          INT32_MAX,
                          INT32_MIN,
                          std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()};
  const int32_t i32s[] = {0, 1, -1, 127, -128, 1 << 20, INT32_MAX, INT32_MIN};
  const int16_t i16s[] = {0, 1, -1, INT16_MAX, INT16_MIN};
  const uint64_t varints[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
  Buffer buf;
  CompactWriter w(buf);
  for (int64_t v : i64s) w.write_i64(v);
  for (int32_t v : i32s) w.write_i32(v);
  for (int16_t v : i16s) w.write_i16(v);
  for (uint64_t v : varints) w.write_varint(v);
  w.write_byte(-5);
  w.write_double(-2.5);

  CompactReader r(buf);
  for (int64_t v : i64s) EXPECT_EQ(r.read_i64(), v);
  for (int32_t v : i32s) EXPECT_EQ(r.read_i32(), v);
  for (int16_t v : i16s) EXPECT_EQ(r.read_i16(), v);
  for (uint64_t v : varints) EXPECT_EQ(r.read_varint(), v);
  EXPECT_EQ(r.read_byte(), -5);
  EXPECT_EQ(r.read_double(), -2.5);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompact, WireBytesMatchTheSpec) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_i32(1, -1);        // delta 1, type i32, zigzag(-1) = 1
  w.field_bool(2, true);     // delta 1, type "true"
  w.field_bool(3, false);    // delta 1, type "false"
  w.field_i64(20, 150);      // delta 17: long form, id as zigzag i16 (40)
  w.field_binary(21, "ab");  // delta 1
  w.struct_end();
  std::vector<uint8_t> expected = {0x15, 0x01, 0x11, 0x12, 0x06, 0x28, 0xac,
                                   0x02, 0x18, 0x02, 'a',  'b',  0x00};
  EXPECT_EQ(bytes_of(buf), expected);
}

TEST(ThriftCompact, StructFieldsRoundTrip) {
  Buffer buf;
  CompactWriter w(buf);
  w.struct_begin();
  w.field_bool(1, true);
  w.field_byte(2, -7);
  w.field_i16(3, -300);
  w.field_i32(16, 123456);  // long-form header
  w.field_i64(17, -1);
  w.field_double(40, 1.25);
  w.field_binary(41, std::string("x\0y", 3));
  w.field_begin(100, kStruct);  // nested struct: its own field-id context
  w.struct_begin();
  w.field_i32(1, 9);
  w.field_bool(2, false);
  w.struct_end();
  w.field_bool(101, false);  // delta from 100, not from the nested struct's 2
  w.field_i32(5, 55);        // decreasing id: long form
  w.field_i32(-3, 33);       // negative ids are legal Thrift
  w.struct_end();

  CompactReader r(buf);
  FieldHeader f;
  r.struct_begin();
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 1);
  EXPECT_TRUE(f.is_bool());
  EXPECT_TRUE(f.bool_value());
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 2);
  EXPECT_EQ(f.type, kByte);
  EXPECT_EQ(r.read_byte(), -7);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 3);
  EXPECT_EQ(r.read_i16(), -300);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 16);
  EXPECT_EQ(r.read_i32(), 123456);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 17);
  EXPECT_EQ(r.read_i64(), -1);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 40);
  EXPECT_EQ(r.read_double(), 1.25);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 41);
  EXPECT_EQ(r.read_binary(), std::string_view("x\0y", 3));
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 100);
  EXPECT_EQ(f.type, kStruct);
  r.struct_begin();
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 1);
  EXPECT_EQ(r.read_i32(), 9);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 2);
  EXPECT_FALSE(f.bool_value());
  EXPECT_FALSE(r.next_field(&f));
  r.struct_end();
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 101);
  EXPECT_TRUE(f.is_bool());
  EXPECT_FALSE(f.bool_value());
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, 5);
  EXPECT_EQ(r.read_i32(), 55);
  ASSERT_TRUE(r.next_field(&f));
  EXPECT_EQ(f.id, -3);
  EXPECT_EQ(r.read_i32(), 33);
  EXPECT_FALSE(r.next_field(&f));
  r.struct_end();
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompact, ListsAndMapsRoundTrip) {
  Buffer buf;
  CompactWriter w(buf);
  w.list_begin(kBoolTrue, 3);  // bools in a list: one byte each
  w.write_bool(true);
  w.write_bool(false);
  w.write_bool(true);
  w.list_begin(kI64, 20);  // >= 15 elements: long-form size
  for (int i = 0; i < 20; ++i) w.write_i64(i * -1000);
  w.list_begin(kBinary, 0);
  w.map_begin(kBinary, kI32, 2);
  w.write_binary("k1");
  w.write_i32(1);
  w.write_binary("k2");
  w.write_i32(2);
  w.map_begin(kI32, kI32, 0);  // empty map: no type byte

  CompactReader r(buf);
  ListHeader l = r.read_list_header();
  EXPECT_EQ(l.elem_type, kBoolTrue);
  ASSERT_EQ(l.size, 3u);
  EXPECT_TRUE(r.read_bool());
  EXPECT_FALSE(r.read_bool());
  EXPECT_TRUE(r.read_bool());
  l = r.read_list_header();
  EXPECT_EQ(l.elem_type, kI64);
  ASSERT_EQ(l.size, 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r.read_i64(), i * -1000);
  EXPECT_EQ(r.read_list_header().size, 0u);
  MapHeader m = r.read_map_header();
  EXPECT_EQ(m.key_type, kBinary);
  EXPECT_EQ(m.value_type, kI32);
  ASSERT_EQ(m.size, 2u);
  EXPECT_EQ(r.read_binary(), "k1");
  EXPECT_EQ(r.read_i32(), 1);
  EXPECT_EQ(r.read_binary(), "k2");
  EXPECT_EQ(r.read_i32(), 2);
  EXPECT_EQ(r.read_map_header().size, 0u);
  EXPECT_EQ(r.remaining(), 0u);
}

// A struct with a field of every type, nested containers included.
void write_everything(CompactWriter& w) {
  w.struct_begin();
  w.field_bool(1, true);
  w.field_bool(2, false);
  w.field_byte(3, 1);
  w.field_i16(4, 2);
  w.field_i32(5, 3);
  w.field_i64(6, 4);
  w.field_double(7, 5.0);
  w.field_binary(8, "six");
  w.field_list_begin(9, kList, 2);  // list<list<bool>>
  w.list_begin(kBoolTrue, 2);
  w.write_bool(true);
  w.write_bool(false);
  w.list_begin(kBoolTrue, 0);
  w.field_begin(10, kSet);
  w.list_begin(kStruct, 1);
  w.struct_begin();
  w.field_double(1, 1.0);
  w.struct_end();
  w.field_begin(11, kMap);
  w.map_begin(kBinary, kMap, 1);  // map<binary, map<i32, bool>>
  w.write_binary("inner");
  w.map_begin(kI32, kBoolTrue, 1);
  w.write_i32(7);
  w.write_bool(true);
  w.field_begin(12, kStruct);
  w.struct_begin();
  w.field_begin(1, kStruct);
  w.struct_begin();
  w.field_binary(300, "deep");
  w.struct_end();
  w.struct_end();
  w.field_begin(13, kUuid);
  for (int i = 0; i < 16; ++i) w.write_byte(static_cast<int8_t>(i));
  w.struct_end();
}

TEST(ThriftCompact, SkipsEveryType) {
  Buffer buf;
  CompactWriter w(buf);
  write_everything(w);
  w.write_i32(42);  // a sentinel after the struct

  CompactReader r(buf);
  r.skip(kStruct);
  EXPECT_EQ(r.read_i32(), 42);
  EXPECT_EQ(r.remaining(), 0u);

  // Field by field, skip_field() handles bools held in the header.
  CompactReader r2(buf);
  r2.struct_begin();
  FieldHeader f;
  int fields = 0;
  while (r2.next_field(&f)) {
    r2.skip_field(f);
    ++fields;
  }
  r2.struct_end();
  EXPECT_EQ(fields, 13);
  EXPECT_EQ(r2.read_i32(), 42);
}

TEST(ThriftCompact, EveryTruncationIsAnError) {
  Buffer buf;
  CompactWriter w(buf);
  write_everything(w);
  for (size_t n = 0; n < buf.size(); ++n) {
    CompactReader r(ByteView(buf.data(), n));
    EXPECT_THROW(r.skip(kStruct), Error) << "prefix of " << n << " bytes";
  }
}

TEST(ThriftCompact, RejectsMalformedVarints) {
  std::vector<uint8_t> truncated = {0x80, 0x80};
  expect_corrupt([&] { CompactReader(truncated).read_varint(); }, "truncated varint at byte 0");
  std::vector<uint8_t> eleven(10, 0x80);
  eleven.push_back(0x01);
  expect_corrupt([&] { CompactReader(eleven).read_varint(); }, "varint");
  std::vector<uint8_t> overflow(9, 0xff);
  overflow.push_back(0x02);  // bit 64
  expect_corrupt([&] { CompactReader(overflow).read_varint(); }, "overflows 64 bits");
  std::vector<uint8_t> max = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(CompactReader(max).read_varint(), UINT64_MAX);
  std::vector<uint8_t> big_i32 = {0x80, 0x80, 0x80, 0x80, 0x10};  // 2^32
  expect_corrupt([&] { CompactReader(big_i32).read_i32(); }, "i32 varint out of range");
  std::vector<uint8_t> big_i16 = {0x80, 0x80, 0x04};  // 2^16
  expect_corrupt([&] { CompactReader(big_i16).read_i16(); }, "i16 varint out of range");
}

TEST(ThriftCompact, RejectsLengthsBeyondTheInput) {
  std::vector<uint8_t> binary = {0x05, 'a', 'b'};
  expect_corrupt([&] { CompactReader(binary).read_binary(); }, "binary of 5 bytes exceeds");
  std::vector<uint8_t> huge_binary = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  expect_corrupt([&] { CompactReader(huge_binary).read_binary(); }, "exceeds");
  // A list header claiming 2^31 structs in 10 bytes.
  std::vector<uint8_t> list = {0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0};
  expect_corrupt([&] { CompactReader(list).read_list_header(); },
                 "list of 2147483648 elements exceeds the 4 remaining bytes at byte 0");
  // Doubles take 8 bytes each: 2 of them do not fit in 9 bytes.
  std::vector<uint8_t> doubles = {0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  expect_corrupt([&] { CompactReader(doubles).read_list_header(); }, "list of 2 elements");
  std::vector<uint8_t> map = {0x80, 0x80, 0x01, 0x55, 0, 0};
  expect_corrupt([&] { CompactReader(map).read_map_header(); }, "map of 16384 entries");
  std::vector<uint8_t> double_ = {0, 0, 0};
  expect_corrupt([&] { CompactReader(double_).read_double(); }, "truncated double");
}

TEST(ThriftCompact, RejectsInvalidTypes) {
  std::vector<uint8_t> field = {0x1e};  // type 14
  expect_corrupt(
      [&] {
        CompactReader r(field);
        FieldHeader f;
        r.next_field(&f);
      },
      "invalid field type 14 at byte 0");
  std::vector<uint8_t> list = {0x10};  // one element of type 0
  expect_corrupt([&] { CompactReader(list).read_list_header(); }, "invalid list element type");
  std::vector<uint8_t> empty_list = {0x00};  // empty: the type does not matter
  EXPECT_EQ(CompactReader(empty_list).read_list_header().size, 0u);
  std::vector<uint8_t> map = {0x01, 0xf1, 0x00, 0x00};
  expect_corrupt([&] { CompactReader(map).read_map_header(); }, "invalid map types");
  // A long-form id 32760, then a delta of 15 that overflows i16.
  std::vector<uint8_t> long_form = {0x05, 0xf0, 0xff, 0x03, 0x00, 0xf5, 0x00};
  expect_corrupt(
      [&] {
        CompactReader r(long_form);
        FieldHeader f;
        r.struct_begin();
        ASSERT_TRUE(r.next_field(&f));
        EXPECT_EQ(f.id, 32760);
        r.read_i32();
        r.next_field(&f);
      },
      "field id 32775 out of range");
}

TEST(ThriftCompact, NestingIsLimitedWhenSkipping) {
  // 1000 nested structs: field 1 of type struct, 1000 times.
  std::vector<uint8_t> structs(1000, 0x1c);
  structs.insert(structs.end(), 1001, 0x00);
  expect_corrupt([&] { CompactReader(structs).skip(kStruct); }, "nesting deeper than 64 levels");
  // 1000 nested lists of one list each.
  std::vector<uint8_t> lists(1000, 0x19);
  lists.push_back(0x00);
  expect_corrupt([&] { CompactReader(lists).skip(kList); }, "nesting deeper than 64");
  // 1000 nested maps.
  std::vector<uint8_t> maps;
  for (int i = 0; i < 1000; ++i) {
    maps.push_back(0x01);
    maps.push_back(0x5b);  // i32 -> map
    maps.push_back(0x00);
  }
  expect_corrupt([&] { CompactReader(maps).skip(kMap); }, "nesting deeper than 64");
  // Exactly at the limit is fine.
  std::vector<uint8_t> ok(63, 0x1c);
  ok.insert(ok.end(), 64, 0x00);
  CompactReader r(ok);
  r.skip(kStruct);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompact, NestingIsLimitedWhenParsing) {
  std::vector<uint8_t> bytes(100, 0x00);
  CompactReader r(bytes);
  for (int i = 0; i < kMaxNesting; ++i) r.struct_begin();
  expect_corrupt([&] { r.struct_begin(); }, "nesting deeper than 64");
}

TEST(ThriftCompact, WriterRejectsRunawayNesting) {
  Buffer buf;
  CompactWriter w(buf);
  for (int i = 0; i < kMaxNesting; ++i) w.struct_begin();
  EXPECT_THROW(w.struct_begin(), Error);
}

}  // namespace
}  // namespace mimicit::parquet::thrift
