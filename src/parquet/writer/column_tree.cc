#include "parquet/writer/column_tree.h"

#include <unordered_set>

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

bool is_supported_type(Type type) {
  return type == Type::BOOLEAN || type == Type::INT32 || type == Type::INT64 || type == Type::DOUBLE ||
         type == Type::BYTE_ARRAY;
}

void check_value(const WriterColumn& c, const std::string& name) {
  if (!is_supported_type(c.type)) {
    fail_invalid("column '{}': type {} is not supported by the writer", name, to_string(c.type));
  }
  if (c.is_string && c.type != Type::BYTE_ARRAY) {
    fail_invalid("column '{}': only BYTE_ARRAY columns can be strings", name);
  }
  if (c.bloom_filter && c.type == Type::BOOLEAN) {
    fail_invalid("column '{}': bloom filters are not defined for BOOLEAN columns", name);
  }
}

void check_names(const std::vector<WriterColumn>& columns, const std::string& parent) {
  std::unordered_set<std::string> names;
  for (const WriterColumn& c : columns) {
    if (c.name.empty()) fail_invalid("column names must not be empty");
    if (!names.insert(c.name).second) {
      fail_invalid("duplicate column name '{}'", parent.empty() ? c.name : parent + "." + c.name);
    }
  }
}

std::string joined(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& part : path) out += (out.empty() ? "" : ".") + part;
  return out;
}

}  // namespace

WriterColumn WriterColumn::list(std::string name, WriterColumn element) {
  WriterColumn c;
  c.name = std::move(name);
  c.shape = Shape::kList;
  c.children.push_back(std::move(element));
  return c;
}

WriterColumn WriterColumn::structure(std::string name, std::vector<WriterColumn> fields) {
  WriterColumn c;
  c.name = std::move(name);
  c.shape = Shape::kStruct;
  c.children = std::move(fields);
  return c;
}

ColumnTree::ColumnTree(const std::vector<WriterColumn>& columns) {
  if (columns.empty()) fail_invalid("a Parquet file needs at least one column");
  check_names(columns, "");
  for (const WriterColumn& c : columns) roots_.push_back(add(c, c.name, {}, 0, 0));
}

size_t ColumnTree::add(const WriterColumn& column, std::string name,
                       const std::vector<std::string>& parent_path, int16_t parent_def, int16_t rep) {
  std::vector<std::string> path = parent_path;
  path.push_back(name);
  // Definition levels are int16 in the format's readers; a deeper tree
  // would be nonsense anyway.
  if (path.size() > 100) fail_invalid("column '{}' is nested too deep", joined(path));
  Node node;
  node.shape = column.shape;
  node.type = column.type;
  node.optional = column.optional;
  node.name = std::move(name);
  node.def = static_cast<int16_t>(parent_def + (column.optional ? 1 : 0));
  node.rep = rep;
  node.is_string = column.is_string;
  node.leaf_begin = leaves_.size();
  const size_t index = nodes_.size();
  nodes_.push_back(node);
  switch (column.shape) {
    case Shape::kValue: {
      check_value(column, joined(path));
      if (!column.children.empty()) fail_invalid("column '{}': a value has no children", joined(path));
      LeafColumn leaf;
      leaf.column = column;
      leaf.column.name = path.back();
      leaf.path = path;
      leaf.max_def = node.def;
      leaf.max_rep = rep;
      nodes_[index].leaf = leaves_.size();
      leaves_.push_back(std::move(leaf));
      break;
    }
    case Shape::kList: {
      if (column.children.size() != 1) {
        fail_invalid("column '{}': a list has exactly one child (its element)", joined(path));
      }
      if (column.bloom_filter) fail_invalid("column '{}': bloom filters are for values", joined(path));
      path.push_back("list");
      size_t child = add(column.children[0], "element", path, static_cast<int16_t>(node.def + 1),
                         static_cast<int16_t>(rep + 1));
      nodes_[index].children.push_back(child);
      break;
    }
    case Shape::kStruct: {
      if (column.children.empty())
        fail_invalid("column '{}': a struct needs at least one field", joined(path));
      if (column.bloom_filter) fail_invalid("column '{}': bloom filters are for values", joined(path));
      check_names(column.children, joined(path));
      for (const WriterColumn& field : column.children) {
        size_t child = add(field, field.name, path, node.def, rep);
        nodes_[index].children.push_back(child);
      }
      break;
    }
    default: fail_invalid("column '{}': unknown shape", joined(path));
  }
  nodes_[index].leaf_end = leaves_.size();
  return index;
}

std::vector<SchemaElement> ColumnTree::schema_elements() const {
  std::vector<SchemaElement> out;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(roots_.size());
  out.push_back(std::move(root));
  for (size_t r : roots_) append_elements(r, out);
  return out;
}

void ColumnTree::append_elements(size_t index, std::vector<SchemaElement>& out) const {
  const Node& node = nodes_[index];
  SchemaElement e;
  e.name = node.name;
  e.repetition_type = node.optional ? Repetition::OPTIONAL : Repetition::REQUIRED;
  switch (node.shape) {
    case Shape::kValue:
      e.type = node.type;
      if (node.is_string) {
        e.converted_type = ConvertedType::UTF8;
        LogicalType logical;
        logical.kind = LogicalType::STRING;
        e.logical_type = logical;
      }
      out.push_back(std::move(e));
      break;
    case Shape::kList: {
      e.num_children = 1;
      e.converted_type = ConvertedType::LIST;
      LogicalType logical;
      logical.kind = LogicalType::LIST;
      e.logical_type = logical;
      out.push_back(std::move(e));
      SchemaElement repeated;
      repeated.name = "list";
      repeated.repetition_type = Repetition::REPEATED;
      repeated.num_children = 1;
      out.push_back(std::move(repeated));
      append_elements(node.children[0], out);
      break;
    }
    case Shape::kStruct:
      e.num_children = static_cast<int32_t>(node.children.size());
      out.push_back(std::move(e));
      for (size_t child : node.children) append_elements(child, out);
      break;
  }
}

// ---------------------------------------------------------------------------
// ColumnCursor

ColumnCursor::ColumnCursor(const ColumnTree& tree, size_t column)
    : tree_(tree), root_(tree.roots_.at(column)) {
  const ColumnTree::Node& root = tree_.nodes_[root_];
  next_rep_.assign(root.leaf_end - root.leaf_begin, 0);
}

void ColumnCursor::next_row() {
  stack_.clear();
  std::fill(next_rep_.begin(), next_rep_.end(), int16_t{0});
  complete_ = false;
}

const ColumnTree::Node& ColumnCursor::expected_node() const {
  if (stack_.empty()) return tree_.nodes_[root_];
  const Frame& top = stack_.back();
  const ColumnTree::Node& parent = tree_.nodes_[top.node];
  return tree_.nodes_[parent.shape == Shape::kList ? parent.children[0] : parent.children[top.next]];
}

const ColumnTree::Node& ColumnCursor::expect() const {
  if (complete_) fail_invalid("the row already has a value for this column");
  return expected_node();
}

void ColumnCursor::enter(const ColumnTree::Node& node) {
  if (stack_.empty()) return;
  const Frame& top = stack_.back();
  const ColumnTree::Node& parent = tree_.nodes_[top.node];
  if (parent.shape != Shape::kList || top.next == 0) return;
  const size_t base = tree_.nodes_[root_].leaf_begin;
  for (size_t leaf = node.leaf_begin; leaf < node.leaf_end; ++leaf) next_rep_[leaf - base] = node.rep;
}

void ColumnCursor::finish_node() {
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    const ColumnTree::Node& parent = tree_.nodes_[top.node];
    ++top.next;
    const size_t size = parent.shape == Shape::kList ? top.length : parent.children.size();
    if (top.next < size) return;
    stack_.pop_back();
  }
  complete_ = true;
}

ColumnCursor::Entry ColumnCursor::value(Type type) {
  const ColumnTree::Node& node = expect();
  if (node.shape != Shape::kValue) {
    fail_invalid("expected a {} here, not a value", node.shape == Shape::kList ? "list" : "struct");
  }
  if (node.type != type) {
    fail_invalid("cannot append a {} value to a {} column",
                 type == Type::BOOLEAN  ? "bool"
                 : type == Type::INT32  ? "int32"
                 : type == Type::INT64  ? "int64"
                 : type == Type::DOUBLE ? "double"
                                        : "bytes",
                 to_string(node.type));
  }
  enter(node);
  const size_t base = tree_.nodes_[root_].leaf_begin;
  Entry entry{node.leaf, node.def, next_rep_[node.leaf - base]};
  finish_node();
  return entry;
}

void ColumnCursor::structure() {
  const ColumnTree::Node& node = expect();
  if (node.shape != Shape::kStruct) fail_invalid("cannot append a struct to a column that is not one");
  enter(node);
  stack_.push_back({static_cast<size_t>(&node - tree_.nodes_.data()), 0, 0});
}

}  // namespace mimicit::parquet
