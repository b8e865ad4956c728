// ColumnTree: the schema tree of a ParquetWriter's columns, and the cursor
// that turns one column's nested value (lists, structs, values, nulls,
// appended depth first) into entries of its leaf columns with definition
// and repetition levels (Dremel's shredding).
//
// Lists are the format's 3-level LIST, as pyarrow writes them:
//
//   optional group images (LIST) {      -- null list: def = d - 1
//     repeated group list {             -- empty list: def = d
//       optional group element {        -- null element: def = d + 1
//         optional binary bytes;        -- null field: def = d + 2, value: d + 3
//         optional binary path (STRING);
//       } } }
//
// where d is the definition level of `images` itself. A leaf's first entry
// in a row has repetition level 0; the first entry of element i > 0 of a
// list, at every leaf below that list, has the list's repetition depth.
//
// Both are plain values owned by the file writer; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/parquet/writer.h"

namespace mimicit::parquet {

// A leaf of the tree: one physical column, with its column chunks.
struct LeafColumn {
  WriterColumn column;            // the value's settings; name: the last part of path
  std::vector<std::string> path;  // path_in_schema
  int16_t max_def = 0;
  int16_t max_rep = 0;
};

class ColumnTree {
 public:
  // Checks the columns (Error kInvalidArgument naming the first bad one).
  explicit ColumnTree(const std::vector<WriterColumn>& columns);

  const std::vector<LeafColumn>& leaves() const { return leaves_; }
  // The leaves of top-level column `column`: [leaf_begin, leaf_end).
  size_t leaf_begin(size_t column) const { return nodes_[roots_[column]].leaf_begin; }
  size_t leaf_end(size_t column) const { return nodes_[roots_[column]].leaf_end; }
  // Whether every column is a value (the file's schema is flat).
  bool flat() const { return leaves_.size() == roots_.size(); }

  // The footer's schema: the root element then every node depth first.
  std::vector<SchemaElement> schema_elements() const;

 private:
  friend class ColumnCursor;

  struct Node {
    Shape shape = Shape::kValue;
    Type type = Type::BYTE_ARRAY;
    bool optional = true;
    std::string name;
    int16_t def = 0;               // definition level when the node is present
    int16_t rep = 0;               // repetition level of the node's first entries
    std::vector<size_t> children;  // kList: the element; kStruct: the fields
    size_t leaf_begin = 0;
    size_t leaf_end = 0;
    size_t leaf = 0;  // kValue: its leaf
    bool is_string = false;
  };

  size_t add(const WriterColumn& column, std::string name, const std::vector<std::string>& parent_path,
             int16_t parent_def, int16_t rep);
  void append_elements(size_t node, std::vector<SchemaElement>& out) const;

  std::vector<Node> nodes_;
  std::vector<size_t> roots_;
  std::vector<LeafColumn> leaves_;
};

// One top-level column's position inside its value for the current row.
// Every call checks that it fits the schema before it changes anything
// and throws Error(kInvalidArgument) when it does not; the entries it makes
// go to `emit(leaf, def, rep)` (nulls and empty lists) or are returned
// (values).
class ColumnCursor {
 public:
  struct Entry {
    size_t leaf = 0;
    int16_t def = 0;
    int16_t rep = 0;
  };

  ColumnCursor(const ColumnTree& tree, size_t column);

  // A value of `type` where one is expected: the leaf and levels to append it with.
  Entry value(Type type);
  // A null, a list of `length` or a struct where one is expected.
  template <typename Emit>
  void null(Emit&& emit);
  template <typename Emit>
  void list(size_t length, Emit&& emit);
  void structure();

  // The column's value for this row is complete.
  bool complete() const { return complete_; }
  // Whether anything was appended for this row yet.
  bool started() const { return complete_ || !stack_.empty(); }
  // Ready for the next row.
  void next_row();

 private:
  struct Frame {
    size_t node;
    size_t next = 0;    // kList: elements appended; kStruct: fields appended
    size_t length = 0;  // kList: elements in all
  };

  const ColumnTree::Node& expected_node() const;
  // Checks that a value can go where the cursor is (kInvalidArgument).
  const ColumnTree::Node& expect() const;
  // Moves to the expected node: sets the repetition level of its leaves
  // when it starts element i > 0 of a list.
  void enter(const ColumnTree::Node& node);
  // The expected node is complete: advances the frames above.
  void finish_node();

  const ColumnTree& tree_;
  size_t root_;
  std::vector<Frame> stack_;
  std::vector<int16_t> next_rep_;  // per leaf of the column (indexed from leaf_begin)
  bool complete_ = false;
};

template <typename Emit>
void ColumnCursor::null(Emit&& emit) {
  const ColumnTree::Node& node = expect();
  if (!node.optional) fail_invalid("null in a required column");
  enter(node);
  const size_t base = tree_.nodes_[root_].leaf_begin;
  for (size_t leaf = node.leaf_begin; leaf < node.leaf_end; ++leaf) {
    emit(leaf, static_cast<int16_t>(node.def - 1), next_rep_[leaf - base]);
  }
  finish_node();
}

template <typename Emit>
void ColumnCursor::list(size_t length, Emit&& emit) {
  const ColumnTree::Node& node = expect();
  if (node.shape != Shape::kList) fail_invalid("cannot append a list to a column that is not one");
  enter(node);
  if (length == 0) {
    const size_t base = tree_.nodes_[root_].leaf_begin;
    for (size_t leaf = node.leaf_begin; leaf < node.leaf_end; ++leaf) {
      emit(leaf, node.def, next_rep_[leaf - base]);
    }
    finish_node();
    return;
  }
  stack_.push_back({static_cast<size_t>(&node - tree_.nodes_.data()), 0, length});
}

}  // namespace mimicit::parquet
