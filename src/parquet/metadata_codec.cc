#include "parquet/metadata_codec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mimicit/error.h"
#include "parquet/thrift/compact_reader.h"
#include "parquet/thrift/compact_writer.h"

namespace mimicit::parquet {
namespace {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::FieldHeader;
using thrift::ListHeader;

// ---------------------------------------------------------------------------
// Type mapping shared by decoding and encoding.

// Enums stored on the wire as a plain i32 (ColumnOrder and TimeUnit are
// unions, handled by hand).
template <typename T>
inline constexpr bool kIsI32Enum =
    std::is_same_v<T, Type> || std::is_same_v<T, ConvertedType> || std::is_same_v<T, Repetition> ||
    std::is_same_v<T, Encoding> || std::is_same_v<T, Codec> || std::is_same_v<T, PageType> ||
    std::is_same_v<T, BoundaryOrder>;

// The compact wire type of a C++ member type; anything else is a struct.
template <typename T>
constexpr uint8_t wire_type() {
  if constexpr (std::is_same_v<T, bool>)
    return thrift::kBoolTrue;
  else if constexpr (std::is_same_v<T, int8_t>)
    return thrift::kByte;
  else if constexpr (std::is_same_v<T, int16_t>)
    return thrift::kI16;
  else if constexpr (std::is_same_v<T, int32_t> || kIsI32Enum<T>)
    return thrift::kI32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return thrift::kI64;
  else if constexpr (std::is_same_v<T, std::string>)
    return thrift::kBinary;
  else
    return thrift::kStruct;
}

// ---------------------------------------------------------------------------
// Decoding.
//
// Each struct has a read_struct() overload. A field whose wire type is not
// the expected one is skipped (as Thrift's generated code does); required
// fields are then checked by id.

void read_struct(CompactReader& r, Statistics* s);
void read_struct(CompactReader& r, LogicalType* t);
void read_struct(CompactReader& r, SchemaElement* e);
void read_struct(CompactReader& r, KeyValue* kv);
void read_struct(CompactReader& r, SortingColumn* c);
void read_struct(CompactReader& r, PageEncodingStats* s);
void read_struct(CompactReader& r, SizeStatistics* s);
void read_struct(CompactReader& r, ColumnMetaData* m);
void read_struct(CompactReader& r, ColumnChunk* c);
void read_struct(CompactReader& r, RowGroup* g);
void read_struct(CompactReader& r, ColumnOrder* o);
void read_struct(CompactReader& r, FileMetaData* m);
void read_struct(CompactReader& r, DataPageHeader* h);
void read_struct(CompactReader& r, DictionaryPageHeader* h);
void read_struct(CompactReader& r, DataPageHeaderV2* h);
void read_struct(CompactReader& r, PageHeader* h);
void read_struct(CompactReader& r, PageLocation* l);
void read_struct(CompactReader& r, OffsetIndex* oi);
void read_struct(CompactReader& r, ColumnIndex* ci);

bool wire_type_matches(uint8_t actual, uint8_t expected) {
  // A bool's type nibble is also its value.
  return actual == expected || (expected == thrift::kBoolTrue && actual == thrift::kBoolFalse);
}

// Reads one value as it appears in a container or after its field header.
template <typename T>
void read_value(CompactReader& r, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    *out = r.read_bool();
  } else if constexpr (std::is_same_v<T, int8_t>) {
    *out = r.read_byte();
  } else if constexpr (std::is_same_v<T, int16_t>) {
    *out = r.read_i16();
  } else if constexpr (std::is_same_v<T, int32_t>) {
    *out = r.read_i32();
  } else if constexpr (kIsI32Enum<T>) {
    *out = static_cast<T>(r.read_i32());  // unknown values kept: the reader decides
  } else if constexpr (std::is_same_v<T, int64_t>) {
    *out = r.read_i64();
  } else if constexpr (std::is_same_v<T, std::string>) {
    std::string_view v = r.read_binary();
    out->assign(v.data(), v.size());
  } else {
    read_struct(r, out);
  }
}

// Skips field `f`; returns false so that callers can `return skip(...)`.
bool skip(CompactReader& r, const FieldHeader& f) {
  r.skip_field(f);
  return false;
}

// The read_field() overloads read field `f` into `out` and return true, or
// skip it and return false when its wire type does not match.
template <typename T>
bool read_field(CompactReader& r, const FieldHeader& f, T* out) {
  if (!wire_type_matches(f.type, wire_type<T>())) return skip(r, f);
  if constexpr (std::is_same_v<T, bool>) {
    *out = f.bool_value();
  } else {
    read_value(r, out);
  }
  return true;
}

template <typename T>
bool read_field(CompactReader& r, const FieldHeader& f, std::optional<T>* out) {
  if (!wire_type_matches(f.type, wire_type<T>())) return skip(r, f);
  if constexpr (std::is_same_v<T, bool>) {
    *out = f.bool_value();
  } else {
    read_value(r, &out->emplace());
  }
  return true;
}

template <typename T>
bool read_field(CompactReader& r, const FieldHeader& f, std::vector<T>* out) {
  if (f.type != thrift::kList && f.type != thrift::kSet) return skip(r, f);
  ListHeader h = r.read_list_header();
  if (h.size > 0 && !wire_type_matches(h.elem_type, wire_type<T>())) {
    for (uint32_t i = 0; i < h.size; ++i) r.skip(h.elem_type);
    return false;
  }
  // The size is bounded by the input bytes, but an element may be far larger
  // in memory than on the wire: the reader's budget bounds the total.
  r.charge_allocation(uint64_t{h.size} * sizeof(T));
  out->clear();
  out->reserve(h.size);
  for (uint32_t i = 0; i < h.size; ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      out->push_back(r.read_bool());
    } else {
      read_value(r, &out->emplace_back());
    }
  }
  return true;
}

// For members kept only as "present" flags: skips the value, returns whether
// it had the expected type.
bool read_presence(CompactReader& r, const FieldHeader& f, uint8_t expected_type) {
  r.skip_field(f);
  return f.type == expected_type;
}

// Calls read_one(field) for every field of the struct at the reader's
// position and returns the set of field ids (< 32) it accepted.
template <typename Fn>
uint32_t read_fields(CompactReader& r, Fn&& read_one) {
  uint32_t seen = 0;
  r.struct_begin();
  FieldHeader f;
  while (r.next_field(&f)) {
    if (read_one(f) && f.id >= 0 && f.id < 32) seen |= uint32_t{1} << f.id;
  }
  r.struct_end();
  return seen;
}

struct RequiredField {
  int id;
  const char* name;
};

[[noreturn, gnu::cold, gnu::noinline]] void fail_missing(const char* struct_name, const char* field_name) {
  fail_corrupt("thrift: {} is missing required field '{}'", struct_name, field_name);
}

template <size_t N>
constexpr uint32_t id_mask(const RequiredField (&fields)[N]) {
  uint32_t mask = 0;
  for (const RequiredField& field : fields) mask |= uint32_t{1} << field.id;
  return mask;
}

// Throws naming the first required field (of the static array kRequired)
// missing from `seen`. The common case is one compare against a constant.
template <const auto& kRequired>
void check_required(uint32_t seen, const char* struct_name) {
  constexpr uint32_t kMask = id_mask(kRequired);
  if ((seen & kMask) == kMask) [[likely]]
    return;
  for (const RequiredField& field : kRequired) {
    if (!(seen & (uint32_t{1} << field.id))) fail_missing(struct_name, field.name);
  }
}

// Reads a union whose members are all structs this code does not look into
// (TimeUnit, ColumnOrder, the bloom filter unions): returns the id of the
// member that is set, 0 when none is. Extra members are invalid Thrift but
// harmless: the first wins.
int32_t read_union_member_id(CompactReader& r) {
  int32_t member = 0;
  read_fields(r, [&](const FieldHeader& f) {
    if (member == 0 && f.type == thrift::kStruct) member = f.id;
    return skip(r, f);
  });
  return member;
}

void read_struct(CompactReader& r, Statistics* s) {
  read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &s->max);
      case 2: return read_field(r, f, &s->min);
      case 3: return read_field(r, f, &s->null_count);
      case 4: return read_field(r, f, &s->distinct_count);
      case 5: return read_field(r, f, &s->max_value);
      case 6: return read_field(r, f, &s->min_value);
      case 7: return read_field(r, f, &s->is_max_value_exact);
      case 8: return read_field(r, f, &s->is_min_value_exact);
    }
    return skip(r, f);
  });
}

void read_decimal_type(CompactReader& r, LogicalType* t) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &t->scale);
      case 2: return read_field(r, f, &t->precision);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "scale"}, {2, "precision"}};
  check_required<kRequired>(seen, "DecimalType");
}

// TimeType and TimestampType share their layout.
void read_time_type(CompactReader& r, LogicalType* t, const char* struct_name) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &t->is_adjusted_to_utc);
      case 2: {
        if (f.type != thrift::kStruct) return skip(r, f);
        int32_t unit = read_union_member_id(r);
        if (unit == 0) fail_corrupt("thrift: {}.unit has no member set", struct_name);
        t->unit = static_cast<TimeUnit>(unit);  // unknown units kept as their id
        return true;
      }
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "isAdjustedToUTC"}, {2, "unit"}};
  check_required<kRequired>(seen, struct_name);
}

void read_int_type(CompactReader& r, LogicalType* t) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &t->bit_width);
      case 2: return read_field(r, f, &t->is_signed);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "bitWidth"}, {2, "isSigned"}};
  check_required<kRequired>(seen, "IntType");
}

void read_struct(CompactReader& r, LogicalType* t) {
  bool have_member = false;
  read_fields(r, [&](const FieldHeader& f) {
    if (have_member || f.type != thrift::kStruct) return skip(r, f);
    have_member = true;
    t->kind = f.id;  // unknown kinds keep their id
    switch (f.id) {
      case LogicalType::DECIMAL: read_decimal_type(r, t); break;
      case LogicalType::TIME: read_time_type(r, t, "TimeType"); break;
      case LogicalType::TIMESTAMP: read_time_type(r, t, "TimestampType"); break;
      case LogicalType::INTEGER: read_int_type(r, t); break;
      default: r.skip(thrift::kStruct); break;  // parameterless or not interpreted
    }
    return true;
  });
}

void read_struct(CompactReader& r, SchemaElement* e) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &e->type);
      case 2: return read_field(r, f, &e->type_length);
      case 3: return read_field(r, f, &e->repetition_type);
      case 4: return read_field(r, f, &e->name);
      case 5: return read_field(r, f, &e->num_children);
      case 6: return read_field(r, f, &e->converted_type);
      case 7: return read_field(r, f, &e->scale);
      case 8: return read_field(r, f, &e->precision);
      case 9: return read_field(r, f, &e->field_id);
      case 10: return read_field(r, f, &e->logical_type);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{4, "name"}};
  check_required<kRequired>(seen, "SchemaElement");
}

void read_struct(CompactReader& r, KeyValue* kv) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &kv->key);
      case 2: return read_field(r, f, &kv->value);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "key"}};
  check_required<kRequired>(seen, "KeyValue");
}

void read_struct(CompactReader& r, SortingColumn* c) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &c->column_idx);
      case 2: return read_field(r, f, &c->descending);
      case 3: return read_field(r, f, &c->nulls_first);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "column_idx"}, {2, "descending"}, {3, "nulls_first"}};
  check_required<kRequired>(seen, "SortingColumn");
}

void read_struct(CompactReader& r, PageEncodingStats* s) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &s->page_type);
      case 2: return read_field(r, f, &s->encoding);
      case 3: return read_field(r, f, &s->count);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "page_type"}, {2, "encoding"}, {3, "count"}};
  check_required<kRequired>(seen, "PageEncodingStats");
}

void read_struct(CompactReader& r, SizeStatistics* s) {
  read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &s->unencoded_byte_array_data_bytes);
      case 2: return read_field(r, f, &s->repetition_level_histogram);
      case 3: return read_field(r, f, &s->definition_level_histogram);
    }
    return skip(r, f);
  });
}

void read_struct(CompactReader& r, ColumnMetaData* m) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &m->type);
      case 2: return read_field(r, f, &m->encodings);
      case 3: return read_field(r, f, &m->path_in_schema);
      case 4: return read_field(r, f, &m->codec);
      case 5: return read_field(r, f, &m->num_values);
      case 6: return read_field(r, f, &m->total_uncompressed_size);
      case 7: return read_field(r, f, &m->total_compressed_size);
      case 8: return read_field(r, f, &m->key_value_metadata);
      case 9: return read_field(r, f, &m->data_page_offset);
      case 10: return read_field(r, f, &m->index_page_offset);
      case 11: return read_field(r, f, &m->dictionary_page_offset);
      case 12: return read_field(r, f, &m->statistics);
      case 13: return read_field(r, f, &m->encoding_stats);
      case 14: return read_field(r, f, &m->bloom_filter_offset);
      case 15: return read_field(r, f, &m->bloom_filter_length);
      case 16: return read_field(r, f, &m->size_statistics);
    }
    return skip(r, f);  // 17 geospatial_statistics and newer
  });
  static constexpr RequiredField kRequired[] = {{1, "type"},
                                                {2, "encodings"},
                                                {3, "path_in_schema"},
                                                {4, "codec"},
                                                {5, "num_values"},
                                                {6, "total_uncompressed_size"},
                                                {7, "total_compressed_size"},
                                                {9, "data_page_offset"}};
  check_required<kRequired>(seen, "ColumnMetaData");
}

void read_struct(CompactReader& r, ColumnChunk* c) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &c->file_path);
      case 2: return read_field(r, f, &c->file_offset);
      case 3: return read_field(r, f, &c->meta_data);
      case 4: return read_field(r, f, &c->offset_index_offset);
      case 5: return read_field(r, f, &c->offset_index_length);
      case 6: return read_field(r, f, &c->column_index_offset);
      case 7: return read_field(r, f, &c->column_index_length);
      case 8:
        if (!read_presence(r, f, thrift::kStruct)) return false;
        return c->has_crypto_metadata = true;
      case 9:
        if (!read_presence(r, f, thrift::kBinary)) return false;
        return c->has_encrypted_column_metadata = true;
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{2, "file_offset"}};
  check_required<kRequired>(seen, "ColumnChunk");
}

void read_struct(CompactReader& r, RowGroup* g) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &g->columns);
      case 2: return read_field(r, f, &g->total_byte_size);
      case 3: return read_field(r, f, &g->num_rows);
      case 4: return read_field(r, f, &g->sorting_columns);
      case 5: return read_field(r, f, &g->file_offset);
      case 6: return read_field(r, f, &g->total_compressed_size);
      case 7: return read_field(r, f, &g->ordinal);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "columns"}, {2, "total_byte_size"}, {3, "num_rows"}};
  check_required<kRequired>(seen, "RowGroup");
}

void read_struct(CompactReader& r, ColumnOrder* o) {
  // Unknown orders keep their union id; the reader then ignores statistics.
  *o = static_cast<ColumnOrder>(read_union_member_id(r));
}

void read_struct(CompactReader& r, FileMetaData* m) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &m->version);
      case 2: return read_field(r, f, &m->schema);
      case 3: return read_field(r, f, &m->num_rows);
      case 4: return read_field(r, f, &m->row_groups);
      case 5: return read_field(r, f, &m->key_value_metadata);
      case 6: return read_field(r, f, &m->created_by);
      case 7: return read_field(r, f, &m->column_orders);
      case 8:
        if (!read_presence(r, f, thrift::kStruct)) return false;
        return m->has_encryption_algorithm = true;
    }
    return skip(r, f);  // 9 footer_signing_key_metadata
  });
  static constexpr RequiredField kRequired[] = {
      {1, "version"}, {2, "schema"}, {3, "num_rows"}, {4, "row_groups"}};
  check_required<kRequired>(seen, "FileMetaData");
}

void read_struct(CompactReader& r, DataPageHeader* h) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &h->num_values);
      case 2: return read_field(r, f, &h->encoding);
      case 3: return read_field(r, f, &h->definition_level_encoding);
      case 4: return read_field(r, f, &h->repetition_level_encoding);
      case 5: return read_field(r, f, &h->statistics);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {
      {1, "num_values"}, {2, "encoding"}, {3, "definition_level_encoding"}, {4, "repetition_level_encoding"}};
  check_required<kRequired>(seen, "DataPageHeader");
}

void read_struct(CompactReader& r, DictionaryPageHeader* h) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &h->num_values);
      case 2: return read_field(r, f, &h->encoding);
      case 3: return read_field(r, f, &h->is_sorted);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "num_values"}, {2, "encoding"}};
  check_required<kRequired>(seen, "DictionaryPageHeader");
}

void read_struct(CompactReader& r, DataPageHeaderV2* h) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &h->num_values);
      case 2: return read_field(r, f, &h->num_nulls);
      case 3: return read_field(r, f, &h->num_rows);
      case 4: return read_field(r, f, &h->encoding);
      case 5: return read_field(r, f, &h->definition_levels_byte_length);
      case 6: return read_field(r, f, &h->repetition_levels_byte_length);
      case 7: return read_field(r, f, &h->is_compressed);
      case 8: return read_field(r, f, &h->statistics);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "num_values"},
                                                {2, "num_nulls"},
                                                {3, "num_rows"},
                                                {4, "encoding"},
                                                {5, "definition_levels_byte_length"},
                                                {6, "repetition_levels_byte_length"}};
  check_required<kRequired>(seen, "DataPageHeaderV2");
}

void read_struct(CompactReader& r, PageHeader* h) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &h->type);
      case 2: return read_field(r, f, &h->uncompressed_page_size);
      case 3: return read_field(r, f, &h->compressed_page_size);
      case 4: return read_field(r, f, &h->crc);
      case 5: return read_field(r, f, &h->data_page_header);
      case 6:
        if (!read_presence(r, f, thrift::kStruct)) return false;
        return h->has_index_page_header = true;
      case 7: return read_field(r, f, &h->dictionary_page_header);
      case 8: return read_field(r, f, &h->data_page_header_v2);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {
      {1, "type"}, {2, "uncompressed_page_size"}, {3, "compressed_page_size"}};
  check_required<kRequired>(seen, "PageHeader");
}

void read_struct(CompactReader& r, PageLocation* l) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &l->offset);
      case 2: return read_field(r, f, &l->compressed_page_size);
      case 3: return read_field(r, f, &l->first_row_index);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {
      {1, "offset"}, {2, "compressed_page_size"}, {3, "first_row_index"}};
  check_required<kRequired>(seen, "PageLocation");
}

void read_struct(CompactReader& r, OffsetIndex* oi) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &oi->page_locations);
      case 2: return read_field(r, f, &oi->unencoded_byte_array_data_bytes);
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {{1, "page_locations"}};
  check_required<kRequired>(seen, "OffsetIndex");
}

void read_struct(CompactReader& r, ColumnIndex* ci) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &ci->null_pages);
      case 2: return read_field(r, f, &ci->min_values);
      case 3: return read_field(r, f, &ci->max_values);
      case 4: return read_field(r, f, &ci->boundary_order);
      case 5: return read_field(r, f, &ci->null_counts);
      case 6: return read_field(r, f, &ci->repetition_level_histograms);
      case 7: return read_field(r, f, &ci->definition_level_histograms);
    }
    return skip(r, f);  // 8 nan_counts and newer
  });
  static constexpr RequiredField kRequired[] = {
      {1, "null_pages"}, {2, "min_values"}, {3, "max_values"}, {4, "boundary_order"}};
  check_required<kRequired>(seen, "ColumnIndex");
}

// The bloom filter header's algorithm, hash and compression are unions with
// one defined member each (id 1); anything else is a filter we cannot use.
bool read_bloom_union(CompactReader& r, const FieldHeader& f, const char* what, const char* expected) {
  if (f.type != thrift::kStruct) return skip(r, f);
  int32_t member = read_union_member_id(r);
  if (member == 0) fail_corrupt("thrift: BloomFilterHeader.{} has no member set", what);
  if (member != 1) {
    fail_unsupported("unsupported bloom filter {} {} (only {})", what, member, expected);
  }
  return true;
}

void read_struct(CompactReader& r, BloomFilterHeader* h) {
  uint32_t seen = read_fields(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: return read_field(r, f, &h->num_bytes);
      case 2: return read_bloom_union(r, f, "algorithm", "BLOCK");
      case 3: return read_bloom_union(r, f, "hash", "XXHASH");
      case 4: return read_bloom_union(r, f, "compression", "UNCOMPRESSED");
    }
    return skip(r, f);
  });
  static constexpr RequiredField kRequired[] = {
      {1, "numBytes"}, {2, "algorithm"}, {3, "hash"}, {4, "compression"}};
  check_required<kRequired>(seen, "BloomFilterHeader");
}

template <typename T>
T decode(ByteView bytes, size_t* consumed) {
  CompactReader r(bytes);
  T out;
  read_struct(r, &out);
  if (consumed != nullptr) *consumed = r.position();
  return out;
}

// ---------------------------------------------------------------------------
// Encoding. Fields are written in id order; optional ones only when set.

void write_struct(CompactWriter& w, const Statistics& s);
void write_struct(CompactWriter& w, const LogicalType& t);
void write_struct(CompactWriter& w, const SchemaElement& e);
void write_struct(CompactWriter& w, const KeyValue& kv);
void write_struct(CompactWriter& w, const SortingColumn& c);
void write_struct(CompactWriter& w, const PageEncodingStats& s);
void write_struct(CompactWriter& w, const SizeStatistics& s);
void write_struct(CompactWriter& w, const ColumnMetaData& m);
void write_struct(CompactWriter& w, const ColumnChunk& c);
void write_struct(CompactWriter& w, const RowGroup& g);
void write_struct(CompactWriter& w, const ColumnOrder& o);
void write_struct(CompactWriter& w, const FileMetaData& m);
void write_struct(CompactWriter& w, const DataPageHeader& h);
void write_struct(CompactWriter& w, const DictionaryPageHeader& h);
void write_struct(CompactWriter& w, const DataPageHeaderV2& h);
void write_struct(CompactWriter& w, const PageHeader& h);
void write_struct(CompactWriter& w, const PageLocation& l);
void write_struct(CompactWriter& w, const OffsetIndex& oi);
void write_struct(CompactWriter& w, const ColumnIndex& ci);
void write_struct(CompactWriter& w, const BloomFilterHeader& h);

template <typename T>
void write_value(CompactWriter& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.write_bool(v);
  } else if constexpr (std::is_same_v<T, int8_t>) {
    w.write_byte(v);
  } else if constexpr (std::is_same_v<T, int16_t>) {
    w.write_i16(v);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    w.write_i32(v);
  } else if constexpr (kIsI32Enum<T>) {
    w.write_i32(static_cast<int32_t>(v));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    w.write_i64(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.write_binary(v);
  } else {
    write_struct(w, v);
  }
}

template <typename T>
void write_field(CompactWriter& w, int16_t id, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.field_bool(id, v);
  } else {
    w.field_begin(id, wire_type<T>());
    write_value(w, v);
  }
}

template <typename T>
void write_field(CompactWriter& w, int16_t id, const std::optional<T>& v) {
  if (v.has_value()) write_field(w, id, *v);
}

// A required list: written even when empty.
template <typename T>
void write_field(CompactWriter& w, int16_t id, const std::vector<T>& v) {
  w.field_list_begin(id, wire_type<T>(), v.size());
  for (const auto& element : v) write_value<T>(w, element);
}

// An optional list: an empty one is not written.
template <typename T>
void write_optional_list(CompactWriter& w, int16_t id, const std::vector<T>& v) {
  if (!v.empty()) write_field(w, id, v);
}

// A struct with no fields, as used for union members and presence markers.
void write_empty_struct_field(CompactWriter& w, int16_t id) {
  w.field_begin(id, thrift::kStruct);
  w.struct_begin();
  w.struct_end();
}

// A union whose member `member_id` is an empty struct.
void write_empty_union_member(CompactWriter& w, int32_t member_id) {
  w.struct_begin();
  if (member_id > 0 && member_id <= INT16_MAX) {
    write_empty_struct_field(w, static_cast<int16_t>(member_id));
  }
  w.struct_end();
}

void write_struct(CompactWriter& w, const Statistics& s) {
  w.struct_begin();
  write_field(w, 1, s.max);
  write_field(w, 2, s.min);
  write_field(w, 3, s.null_count);
  write_field(w, 4, s.distinct_count);
  write_field(w, 5, s.max_value);
  write_field(w, 6, s.min_value);
  write_field(w, 7, s.is_max_value_exact);
  write_field(w, 8, s.is_min_value_exact);
  w.struct_end();
}

// A kind that is a valid union field id. Decoding keeps any id, a negative
// one too; writing another kind would leave the union empty.
bool writable_kind(const LogicalType& t) { return t.kind > 0 && t.kind <= INT16_MAX; }

void write_struct(CompactWriter& w, const LogicalType& t) {
  w.struct_begin();
  if (writable_kind(t)) {
    w.field_begin(static_cast<int16_t>(t.kind), thrift::kStruct);
    w.struct_begin();
    switch (t.kind) {
      case LogicalType::DECIMAL:
        write_field(w, 1, t.scale);
        write_field(w, 2, t.precision);
        break;
      case LogicalType::TIME:
      case LogicalType::TIMESTAMP:
        write_field(w, 1, t.is_adjusted_to_utc);
        w.field_begin(2, thrift::kStruct);
        write_empty_union_member(w, static_cast<int32_t>(t.unit));
        break;
      case LogicalType::INTEGER:
        write_field(w, 1, t.bit_width);
        write_field(w, 2, t.is_signed);
        break;
      default: break;  // parameterless
    }
    w.struct_end();
  }
  w.struct_end();
}

void write_struct(CompactWriter& w, const SchemaElement& e) {
  w.struct_begin();
  write_field(w, 1, e.type);
  write_field(w, 2, e.type_length);
  write_field(w, 3, e.repetition_type);
  write_field(w, 4, e.name);
  write_field(w, 5, e.num_children);
  write_field(w, 6, e.converted_type);
  write_field(w, 7, e.scale);
  write_field(w, 8, e.precision);
  write_field(w, 9, e.field_id);
  // An empty union is invalid Thrift: kind NONE (or an id no field can
  // have) means "no logical type".
  if (e.logical_type && writable_kind(*e.logical_type)) {
    write_field(w, 10, *e.logical_type);
  }
  w.struct_end();
}

void write_struct(CompactWriter& w, const KeyValue& kv) {
  w.struct_begin();
  write_field(w, 1, kv.key);
  write_field(w, 2, kv.value);
  w.struct_end();
}

void write_struct(CompactWriter& w, const SortingColumn& c) {
  w.struct_begin();
  write_field(w, 1, c.column_idx);
  write_field(w, 2, c.descending);
  write_field(w, 3, c.nulls_first);
  w.struct_end();
}

void write_struct(CompactWriter& w, const PageEncodingStats& s) {
  w.struct_begin();
  write_field(w, 1, s.page_type);
  write_field(w, 2, s.encoding);
  write_field(w, 3, s.count);
  w.struct_end();
}

void write_struct(CompactWriter& w, const SizeStatistics& s) {
  w.struct_begin();
  write_field(w, 1, s.unencoded_byte_array_data_bytes);
  write_optional_list(w, 2, s.repetition_level_histogram);
  write_optional_list(w, 3, s.definition_level_histogram);
  w.struct_end();
}

void write_struct(CompactWriter& w, const ColumnMetaData& m) {
  w.struct_begin();
  write_field(w, 1, m.type);
  write_field(w, 2, m.encodings);
  write_field(w, 3, m.path_in_schema);
  write_field(w, 4, m.codec);
  write_field(w, 5, m.num_values);
  write_field(w, 6, m.total_uncompressed_size);
  write_field(w, 7, m.total_compressed_size);
  write_optional_list(w, 8, m.key_value_metadata);
  write_field(w, 9, m.data_page_offset);
  write_field(w, 10, m.index_page_offset);
  write_field(w, 11, m.dictionary_page_offset);
  write_field(w, 12, m.statistics);
  write_optional_list(w, 13, m.encoding_stats);
  write_field(w, 14, m.bloom_filter_offset);
  write_field(w, 15, m.bloom_filter_length);
  write_field(w, 16, m.size_statistics);
  w.struct_end();
}

void write_struct(CompactWriter& w, const ColumnChunk& c) {
  w.struct_begin();
  write_field(w, 1, c.file_path);
  write_field(w, 2, c.file_offset);
  write_field(w, 3, c.meta_data);
  write_field(w, 4, c.offset_index_offset);
  write_field(w, 5, c.offset_index_length);
  write_field(w, 6, c.column_index_offset);
  write_field(w, 7, c.column_index_length);
  // Only the presence of 8 and 9 is modelled; mimicit writes no encrypted
  // files, these placeholders exist so that decode(encode(x)) == x.
  if (c.has_crypto_metadata) {
    w.field_begin(8, thrift::kStruct);
    write_empty_union_member(w, 1);  // ENCRYPTION_WITH_FOOTER_KEY
  }
  if (c.has_encrypted_column_metadata) write_field(w, 9, std::string());
  w.struct_end();
}

void write_struct(CompactWriter& w, const RowGroup& g) {
  w.struct_begin();
  write_field(w, 1, g.columns);
  write_field(w, 2, g.total_byte_size);
  write_field(w, 3, g.num_rows);
  write_optional_list(w, 4, g.sorting_columns);
  write_field(w, 5, g.file_offset);
  write_field(w, 6, g.total_compressed_size);
  write_field(w, 7, g.ordinal);
  w.struct_end();
}

void write_struct(CompactWriter& w, const ColumnOrder& o) {
  write_empty_union_member(w, static_cast<int32_t>(o));  // UNKNOWN: no member
}

void write_struct(CompactWriter& w, const FileMetaData& m) {
  w.struct_begin();
  write_field(w, 1, m.version);
  write_field(w, 2, m.schema);
  write_field(w, 3, m.num_rows);
  write_field(w, 4, m.row_groups);
  write_optional_list(w, 5, m.key_value_metadata);
  write_field(w, 6, m.created_by);
  write_optional_list(w, 7, m.column_orders);
  if (m.has_encryption_algorithm) {  // presence only, see ColumnChunk
    w.field_begin(8, thrift::kStruct);
    write_empty_union_member(w, 1);  // AES_GCM_V1
  }
  w.struct_end();
}

void write_struct(CompactWriter& w, const DataPageHeader& h) {
  w.struct_begin();
  write_field(w, 1, h.num_values);
  write_field(w, 2, h.encoding);
  write_field(w, 3, h.definition_level_encoding);
  write_field(w, 4, h.repetition_level_encoding);
  write_field(w, 5, h.statistics);
  w.struct_end();
}

void write_struct(CompactWriter& w, const DictionaryPageHeader& h) {
  w.struct_begin();
  write_field(w, 1, h.num_values);
  write_field(w, 2, h.encoding);
  write_field(w, 3, h.is_sorted);
  w.struct_end();
}

void write_struct(CompactWriter& w, const DataPageHeaderV2& h) {
  w.struct_begin();
  write_field(w, 1, h.num_values);
  write_field(w, 2, h.num_nulls);
  write_field(w, 3, h.num_rows);
  write_field(w, 4, h.encoding);
  write_field(w, 5, h.definition_levels_byte_length);
  write_field(w, 6, h.repetition_levels_byte_length);
  write_field(w, 7, h.is_compressed);  // optional, default true; always explicit
  write_field(w, 8, h.statistics);
  w.struct_end();
}

void write_struct(CompactWriter& w, const PageHeader& h) {
  w.struct_begin();
  write_field(w, 1, h.type);
  write_field(w, 2, h.uncompressed_page_size);
  write_field(w, 3, h.compressed_page_size);
  write_field(w, 4, h.crc);
  write_field(w, 5, h.data_page_header);
  if (h.has_index_page_header) write_empty_struct_field(w, 6);
  write_field(w, 7, h.dictionary_page_header);
  write_field(w, 8, h.data_page_header_v2);
  w.struct_end();
}

void write_struct(CompactWriter& w, const PageLocation& l) {
  w.struct_begin();
  write_field(w, 1, l.offset);
  write_field(w, 2, l.compressed_page_size);
  write_field(w, 3, l.first_row_index);
  w.struct_end();
}

void write_struct(CompactWriter& w, const OffsetIndex& oi) {
  w.struct_begin();
  write_field(w, 1, oi.page_locations);
  write_optional_list(w, 2, oi.unencoded_byte_array_data_bytes);
  w.struct_end();
}

void write_struct(CompactWriter& w, const ColumnIndex& ci) {
  w.struct_begin();
  write_field(w, 1, ci.null_pages);
  write_field(w, 2, ci.min_values);
  write_field(w, 3, ci.max_values);
  write_field(w, 4, ci.boundary_order);
  write_optional_list(w, 5, ci.null_counts);
  write_optional_list(w, 6, ci.repetition_level_histograms);
  write_optional_list(w, 7, ci.definition_level_histograms);
  w.struct_end();
}

void write_struct(CompactWriter& w, const BloomFilterHeader& h) {
  w.struct_begin();
  write_field(w, 1, h.num_bytes);
  w.field_begin(2, thrift::kStruct);
  write_empty_union_member(w, 1);  // BLOCK
  w.field_begin(3, thrift::kStruct);
  write_empty_union_member(w, 1);  // XXHASH
  w.field_begin(4, thrift::kStruct);
  write_empty_union_member(w, 1);  // UNCOMPRESSED
  w.struct_end();
}

template <typename T>
void encode(const T& value, Buffer& out) {
  CompactWriter w(out);
  write_struct(w, value);
}

}  // namespace

FileMetaData decode_file_metadata(ByteView bytes) { return decode<FileMetaData>(bytes, nullptr); }

PageHeader decode_page_header(ByteView bytes, size_t* header_size) {
  return decode<PageHeader>(bytes, header_size);
}

ColumnIndex decode_column_index(ByteView bytes) { return decode<ColumnIndex>(bytes, nullptr); }

OffsetIndex decode_offset_index(ByteView bytes) { return decode<OffsetIndex>(bytes, nullptr); }

BloomFilterHeader decode_bloom_filter_header(ByteView bytes, size_t* header_size) {
  return decode<BloomFilterHeader>(bytes, header_size);
}

void encode_file_metadata(const FileMetaData& m, Buffer& out) { encode(m, out); }
void encode_page_header(const PageHeader& h, Buffer& out) { encode(h, out); }
void encode_column_index(const ColumnIndex& ci, Buffer& out) { encode(ci, out); }
void encode_offset_index(const OffsetIndex& oi, Buffer& out) { encode(oi, out); }
void encode_bloom_filter_header(const BloomFilterHeader& h, Buffer& out) { encode(h, out); }

}  // namespace mimicit::parquet
