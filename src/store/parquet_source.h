// The Parquet source of an ImageStore: which columns hold the id and the
// payload, and the pieces of that choice worth testing on their own.
//
// The id column is the pandas index named by the `pandas` key-value metadata
// (its one string entry in `index_columns`; a RangeIndex entry, an object,
// names no column), else a string column named `id`, `image_id` or `key`.
// Ids in INT32/INT64 columns (a pandas integer index) are their decimal text.
// The payload is, in this order of preference: a byte-array column named
// `base64` (base64 text); a binary (non-string) byte-array column with raw
// image bytes, preferring one named image, bytes, data or payload; the
// `bytes` field of a Hugging Face `struct<bytes: binary, path: string>`;
// else the `bytes` field of a list of such structs (the pictures embedded in
// the instruction rows of the Hugging Face layout's full configuration),
// whose entries are named by embedded_image_id() from the row's id and the
// list's `path` field. The locator of an entry is its global row number
// (shifted left by kElementBits, plus its position in the row's list, for
// embedded pictures).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/image_store.h"
#include "mimicit/parquet/reader.h"

namespace mimicit::store {

struct ParquetColumns {
  int id = -1;       // column index
  int payload = -1;  // column index (the `.bytes` leaf for a Hugging Face struct)
  int path = -1;     // kHuggingFaceList: the list's `path` leaf, -1 when it has none
  PayloadKind kind = PayloadKind::kBase64;
};

// Embedded pictures: bits of a locator that hold the position in the list.
inline constexpr int kElementBits = 20;

// Chooses the columns; throws Error(kInvalidArgument) naming the file and
// listing its columns when there is no usable id or payload column.
ParquetColumns choose_columns(const parquet::ParquetFile& file);

// The string entries of `index_columns` in a pandas metadata JSON document
// (objects such as {"kind": "range", ...} are skipped). Empty when the
// document is malformed or has no such key.
std::vector<std::string> pandas_index_columns(std::string_view json);

}  // namespace mimicit::store
