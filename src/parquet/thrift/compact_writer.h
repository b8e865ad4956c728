// CompactWriter: appends Thrift compact-protocol values to a Buffer.
//
// The counterpart of CompactReader, used to write Parquet metadata. The
// writer appends to a caller-owned Buffer (which must outlive it) and keeps
// only the per-struct "last field id" needed for delta-coded field headers.
// Struct nesting is limited to kMaxNesting (exceeding it is a bug in the
// caller: Error(kInternal)); lists and strings longer than Thrift's i32
// sizes throw Error(kLimit). Output follows what the Apache Thrift C++ and
// Java libraries write (bools in lists as 1/2), so pyarrow, DuckDB and
// polars read it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"
#include "parquet/thrift/compact_reader.h"  // WireType, kMaxNesting

namespace mimicit::parquet::thrift {

class CompactWriter {
 public:
  explicit CompactWriter(Buffer& out) : out_(out) {}

  CompactWriter(const CompactWriter&) = delete;
  CompactWriter& operator=(const CompactWriter&) = delete;

  // A struct's fields go between struct_begin() and struct_end() (which
  // writes the STOP marker), in increasing field id order for the shortest
  // encoding (any order is valid).
  void struct_begin();
  void struct_end();

  // A field header; the value follows with the element writers below.
  // Bool fields must use field_bool() (their value is in the header).
  void field_begin(int16_t id, uint8_t type);

  void field_bool(int16_t id, bool v) { field_begin(id, v ? kBoolTrue : kBoolFalse); }
  void field_byte(int16_t id, int8_t v) {
    field_begin(id, kByte);
    write_byte(v);
  }
  void field_i16(int16_t id, int16_t v) {
    field_begin(id, kI16);
    write_i16(v);
  }
  void field_i32(int16_t id, int32_t v) {
    field_begin(id, kI32);
    write_i32(v);
  }
  void field_i64(int16_t id, int64_t v) {
    field_begin(id, kI64);
    write_i64(v);
  }
  void field_double(int16_t id, double v) {
    field_begin(id, kDouble);
    write_double(v);
  }
  void field_binary(int16_t id, std::string_view v) {
    field_begin(id, kBinary);
    write_binary(v);
  }
  // A list field: writes the header; then write `size` elements.
  void field_list_begin(int16_t id, uint8_t elem_type, size_t size) {
    field_begin(id, kList);
    list_begin(elem_type, size);
  }

  // Container headers (after field_begin, or as container elements).
  void list_begin(uint8_t elem_type, size_t size);
  void map_begin(uint8_t key_type, uint8_t value_type, size_t size);

  // Values, as fields' values or container elements.
  void write_bool(bool v) { out_.push_back(v ? 1 : 2); }  // elements only
  void write_byte(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void write_i16(int16_t v) { write_varint(zigzag_encode(v)); }
  void write_i32(int32_t v) { write_varint(zigzag_encode(v)); }
  void write_i64(int64_t v) { write_varint(zigzag_encode(v)); }
  void write_double(double v);
  void write_binary(std::string_view v);
  void write_varint(uint64_t v);

 private:
  static uint64_t zigzag_encode(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void write_size(size_t size, const char* what);

  Buffer& out_;
  int depth_ = 0;
  int16_t last_field_id_[kMaxNesting + 1] = {};
};

}  // namespace mimicit::parquet::thrift
