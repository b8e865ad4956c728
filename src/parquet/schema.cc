// Builds the schema tree from the flattened SchemaElement list and derives,
// for each leaf, the levels and the row shape the reader assembles.
#include "mimicit/parquet/schema.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

constexpr int kMaxSchemaDepth = 64;

bool has_converted(const SchemaElement& e, ConvertedType t) {
  return e.converted_type && *e.converted_type == t;
}
bool has_logical(const SchemaElement& e, int32_t kind) {
  return e.logical_type && e.logical_type->kind == kind;
}
bool is_list_annotated(const SchemaElement& e) {
  return has_converted(e, ConvertedType::LIST) || has_logical(e, LogicalType::LIST);
}
bool is_map_annotated(const SchemaElement& e) {
  return has_converted(e, ConvertedType::MAP) || has_converted(e, ConvertedType::MAP_KEY_VALUE) ||
         has_logical(e, LogicalType::MAP);
}

// Appends the subtree rooted at elements[*next] to `nodes`, depth-first.
class TreeBuilder {
 public:
  TreeBuilder(const std::vector<SchemaElement>& elements, std::vector<SchemaNode>& nodes)
      : elements_(elements), nodes_(nodes) {}

  int build(size_t* next, int parent, int depth) {
    if (depth > kMaxSchemaDepth) fail_corrupt("schema is nested deeper than {} levels", kMaxSchemaDepth);
    if (*next >= elements_.size())
      fail_corrupt("schema ends early: a group claims more children than there are elements");
    size_t index = (*next)++;
    const SchemaElement& e = elements_[index];
    int id = static_cast<int>(nodes_.size());
    nodes_.push_back(SchemaNode{});
    SchemaNode& node = nodes_.back();
    node.name = e.name;
    node.element_index = static_cast<int>(index);
    node.parent = parent;
    node.repetition = parent < 0 ? Repetition::REQUIRED : e.repetition_type.value_or(Repetition::REQUIRED);
    if (static_cast<int32_t>(node.repetition) < 0 || static_cast<int32_t>(node.repetition) > 2) {
      fail_corrupt("schema element '{}' has invalid repetition {}", e.name,
                   static_cast<int32_t>(node.repetition));
    }
    int16_t parent_def = parent < 0 ? 0 : nodes_[parent].def_level;
    int16_t parent_rep = parent < 0 ? 0 : nodes_[parent].rep_level;
    node.def_level = static_cast<int16_t>(parent_def + (node.repetition != Repetition::REQUIRED));
    node.rep_level = static_cast<int16_t>(parent_rep + (node.repetition == Repetition::REPEATED));

    int32_t children = e.num_children.value_or(0);
    bool is_group = e.num_children.has_value() || !e.type.has_value();
    if (parent < 0 && !is_group) fail_corrupt("schema root '{}' is not a group", e.name);
    if (!is_group) return id;
    if (children < 0 || static_cast<size_t>(children) > elements_.size() - *next) {
      fail_corrupt("schema group '{}' claims {} children but only {} elements follow", e.name, children,
                   elements_.size() - *next);
    }
    for (int32_t i = 0; i < children; ++i) {
      int child = build(next, id, depth + 1);
      nodes_[id].children.push_back(child);
    }
    return id;
  }

 private:
  const std::vector<SchemaElement>& elements_;
  std::vector<SchemaNode>& nodes_;
};

std::string join_path(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out += '.';
    out += parts[i];
  }
  return out;
}

// The row shape of a leaf under exactly one repeated node (chain[rep] of
// the leaf's root-to-leaf chain): a list whose element is the leaf (a list
// of primitives) or a struct holding it (a list of structs, read leaf by
// leaf: the field "images.bytes" holds, per row, the `bytes` of each
// element). Recognised like pyarrow's and parquet-mr's backward
// compatibility rules: the standard 3-level list `group (LIST) { repeated
// group list { element } }`; a 2-level list whose repeated node is the
// element (`repeated int32 x`, or a repeated group named "array", ending in
// "_tuple" or with several fields: the element struct itself); a bare
// repeated field or group outside a LIST annotation.
void list_shape(const std::vector<SchemaElement>& elements, const std::vector<SchemaNode>& nodes,
                const std::vector<int>& chain, size_t rep, ColumnDescriptor& c) {
  const SchemaNode& repeated = nodes[chain[rep]];
  const int parent = repeated.parent;
  const bool parent_is_list = parent > 0 && is_list_annotated(elements[nodes[parent].element_index]);
  const bool legacy_element_group = repeated.children.size() != 1 || repeated.name == "array" ||
                                    (repeated.name.size() > 6 && repeated.name.ends_with("_tuple"));
  // Path parts naming the list field, and where the element's own path begins.
  size_t list_parts = parent_is_list ? rep : rep + 1;
  size_t element_begin = rep + 1;  // the repeated node is the element
  if (parent_is_list && rep + 1 < chain.size() && !legacy_element_group) element_begin = rep + 2;  // 3-level
  c.is_list = true;
  c.field_name = join_path(c.path, list_parts);
  for (size_t i = element_begin; i < c.path.size(); ++i) c.field_name += "." + c.path[i];
  c.list_def_level = static_cast<int16_t>(repeated.def_level - 1);
}
}  // namespace

bool ColumnDescriptor::is_string() const {
  if (type != Type::BYTE_ARRAY) return false;
  if (logical_type) {
    int32_t k = logical_type->kind;
    if (k == LogicalType::STRING || k == LogicalType::ENUM || k == LogicalType::JSON) return true;
  }
  if (converted_type) {
    ConvertedType c = *converted_type;
    return c == ConvertedType::UTF8 || c == ConvertedType::ENUM || c == ConvertedType::JSON;
  }
  return false;
}

bool ColumnDescriptor::is_float16() const {
  return type == Type::FIXED_LEN_BYTE_ARRAY && type_length == 2 && logical_type &&
         logical_type->kind == LogicalType::FLOAT16;
}

bool ColumnDescriptor::is_unsigned() const {
  if (type != Type::INT32 && type != Type::INT64) return false;
  if (logical_type && logical_type->kind == LogicalType::INTEGER) return !logical_type->is_signed;
  if (converted_type) {
    ConvertedType c = *converted_type;
    return c == ConvertedType::UINT_8 || c == ConvertedType::UINT_16 || c == ConvertedType::UINT_32 ||
           c == ConvertedType::UINT_64;
  }
  return false;
}

int ColumnDescriptor::fixed_width() const {
  switch (type) {
    case Type::BOOLEAN: return 1;
    case Type::INT32: return 4;
    case Type::INT64: return 8;
    case Type::INT96: return 12;
    case Type::FLOAT: return 4;
    case Type::DOUBLE: return 8;
    default: return 0;
  }
}

Schema::Schema(const FileMetaData& metadata) {
  const auto& elements = metadata.schema;
  if (elements.empty()) fail_corrupt("schema is empty");
  size_t next = 0;
  TreeBuilder(elements, nodes_).build(&next, -1, 0);
  if (next != elements.size()) {
    fail_corrupt("schema has {} elements after the tree ends", elements.size() - next);
  }

  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!nodes_[n].children.empty() || n == 0) continue;
    const SchemaElement& e = elements[nodes_[n].element_index];
    if (!e.type) continue;  // an empty group: no column
    ColumnDescriptor c;
    c.index = static_cast<int>(columns_.size());
    c.node = static_cast<int>(n);
    c.type = *e.type;
    if (static_cast<int32_t>(c.type) < 0 || static_cast<int32_t>(c.type) > 7) {
      fail_corrupt("column '{}' has invalid physical type {}", e.name, static_cast<int32_t>(c.type));
    }
    c.type_length = e.type_length.value_or(0);
    if (c.type == Type::FIXED_LEN_BYTE_ARRAY && (c.type_length <= 0)) {
      fail_corrupt("column '{}' is FIXED_LEN_BYTE_ARRAY with invalid length {}", e.name, c.type_length);
    }
    c.converted_type = e.converted_type;
    c.logical_type = e.logical_type;
    c.repetition = nodes_[n].repetition;
    c.max_def_level = nodes_[n].def_level;
    c.max_rep_level = nodes_[n].rep_level;
    nodes_[n].leaf = c.index;

    // Path from the root (exclusive) down to the leaf.
    std::vector<int> chain;
    for (int at = static_cast<int>(n); at > 0; at = nodes_[at].parent) chain.push_back(at);
    std::reverse(chain.begin(), chain.end());
    for (int at : chain) c.path.push_back(nodes_[at].name);
    c.dotted_path = join_path(c.path, c.path.size());
    c.field_name = c.dotted_path;

    int repeated_count = 0;
    int repeated_pos = -1;  // position in chain
    for (size_t i = 0; i < chain.size(); ++i) {
      const SchemaNode& node = nodes_[chain[i]];
      if (is_map_annotated(elements[node.element_index])) {
        c.unsupported = "unsupported nesting: maps";
      }
      if (node.repetition == Repetition::REPEATED) {
        ++repeated_count;
        repeated_pos = static_cast<int>(i);
      }
    }
    if (repeated_count > 1 && c.unsupported.empty()) {
      c.unsupported =
          fmt::format("unsupported nesting: lists of lists (repetition level {})", repeated_count);
    }
    if (repeated_count == 1 && c.unsupported.empty())
      list_shape(elements, nodes_, chain, static_cast<size_t>(repeated_pos), c);
    columns_.push_back(std::move(c));
  }
}

int Schema::find_column(std::string_view name) const {
  for (const auto& c : columns_) {
    if (c.dotted_path == name) return c.index;
  }
  for (const auto& c : columns_) {
    if (c.field_name == name) return c.index;
  }
  return -1;
}

namespace {

std::string type_name(const SchemaElement& e) {
  switch (*e.type) {
    case Type::BOOLEAN: return "boolean";
    case Type::INT32: return "int32";
    case Type::INT64: return "int64";
    case Type::INT96: return "int96";
    case Type::FLOAT: return "float";
    case Type::DOUBLE: return "double";
    case Type::BYTE_ARRAY: return "binary";
    case Type::FIXED_LEN_BYTE_ARRAY:
      return fmt::format("fixed_len_byte_array({})", e.type_length.value_or(0));
  }
  return fmt::format("type({})", static_cast<int32_t>(*e.type));
}

std::string annotation(const SchemaElement& e) {
  std::string out;
  if (e.logical_type && e.logical_type->kind != LogicalType::NONE) out = to_string(*e.logical_type);
  if (e.converted_type) {
    std::string converted = to_string(*e.converted_type);
    if (out.empty())
      out = converted;
    else if (out.find(converted) == std::string::npos)
      out += ", " + converted;
  }
  return out.empty() ? "" : " (" + out + ")";
}

void print_node(const std::vector<SchemaNode>& nodes, const std::vector<SchemaElement>& elements, int id,
                int indent, std::string& out) {
  const SchemaNode& node = nodes[id];
  const SchemaElement& e = elements[node.element_index];
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (id == 0) {
    out += fmt::format("message {} {{\n", e.name);
  } else {
    std::string rep = to_string(node.repetition);
    for (auto& ch : rep) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (node.leaf >= 0 || e.type) {
      out += fmt::format("{}{} {} {}{};\n", pad, rep, type_name(e), e.name, annotation(e));
      return;
    }
    out += fmt::format("{}{} group {}{} {{\n", pad, rep, e.name, annotation(e));
  }
  for (int child : node.children) print_node(nodes, elements, child, indent + 1, out);
  out += pad + "}\n";
}

}  // namespace

std::string Schema::to_string(const FileMetaData& metadata) const {
  std::string out;
  print_node(nodes_, metadata.schema, 0, 0, out);
  return out;
}

}  // namespace mimicit::parquet
