// Schema: the column tree of a Parquet file, and one descriptor per leaf column.
//
// Built from FileMetaData::schema (a depth-first list of SchemaElements).
// Construction validates the tree (child counts inside the list, a root that
// is a group, leaves with a physical type, bounded depth) and throws
// Error(kCorrupt) otherwise.
//
// mimicit reads flat columns, columns inside structs (any depth of
// non-repeated groups) and one level of list whose element is a primitive
// or a struct of such columns (the standard 3-level LIST, the legacy
// 2-level forms, a bare repeated field or group). A list of structs is read
// leaf by leaf: the row key of `images: list<struct<bytes, path>>`'s leaf
// `images.list.element.bytes` is "images.bytes", a list holding each
// element's `bytes` (null where the element or its struct is null), as the
// Hugging Face `datasets` layout stores sequences of images. Other shapes
// (lists of lists, maps) get a descriptor whose `unsupported` says why;
// assembling rows of such a column (RowReader) throws Error(kUnsupported)
// naming it. Its pages still decode with ColumnChunkReader, which needs no
// row shape.
//
// A Schema is immutable and safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

struct SchemaNode {
  std::string name;
  int element_index = 0;  // position in FileMetaData::schema
  int parent = -1;        // node index of the parent, -1 for the root
  std::vector<int> children;
  Repetition repetition = Repetition::REQUIRED;
  int leaf = -1;          // column index for leaves, -1 for groups
  int16_t def_level = 0;  // definition level reached at this node
  int16_t rep_level = 0;  // repetition level reached at this node
};

struct ColumnDescriptor {
  int index = 0;                  // leaf ordinal (= column chunk index in row groups)
  int node = 0;                   // SchemaNode index
  std::vector<std::string> path;  // path_in_schema
  std::string dotted_path;        // path joined with '.'
  Type type = Type::BOOLEAN;
  int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY width
  std::optional<ConvertedType> converted_type;
  std::optional<LogicalType> logical_type;
  Repetition repetition = Repetition::REQUIRED;  // of the leaf itself
  int16_t max_def_level = 0;
  int16_t max_rep_level = 0;

  // How rows are assembled from levels (see RowReader in reader.h).
  std::string field_name;  // row key: group names joined with '.', ending at the list for lists (then the
                           // element struct's fields)
  bool is_list = false;    // max_rep_level == 1: each row holds a list
  // For lists: def < list_def_level => null list; == => empty list;
  // > => an element exists (null unless def == max_def_level).
  int16_t list_def_level = 0;

  std::string unsupported;  // non-empty when this column's shape is out of scope

  bool is_string() const;    // BYTE_ARRAY annotated STRING/UTF8/ENUM/JSON
  bool is_unsigned() const;  // INT32/INT64 annotated unsigned
  bool is_float16() const;   // FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16 (IEEE half, little-endian)
  // Width in bytes of one value in DecodedPage::fixed (0 for byte arrays).
  int fixed_width() const;
};

class Schema {
 public:
  explicit Schema(const FileMetaData& metadata);

  const std::vector<SchemaNode>& nodes() const { return nodes_; }
  const std::vector<ColumnDescriptor>& columns() const { return columns_; }
  const ColumnDescriptor& column(size_t i) const { return columns_.at(i); }
  size_t num_columns() const { return columns_.size(); }

  // Column index by dotted path ("a.b.c") or by field name; -1 if absent.
  int find_column(std::string_view name) const;

  // Human-readable tree, one node per line, e.g.
  //   required group schema {
  //     optional binary base64 (STRING);
  //   }
  std::string to_string(const FileMetaData& metadata) const;

 private:
  std::vector<SchemaNode> nodes_;
  std::vector<ColumnDescriptor> columns_;
};

}  // namespace mimicit::parquet
