#include "dataset/instruction_parquet.h"

#include <charconv>
#include <optional>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/reader.h"
#include "remote/url.h"
#include "store/open_store.h"
#include "util/json_text.h"

namespace mimicit::dataset {

namespace {

using parquet::ParquetFile;
using parquet::RowReader;
using parquet::Value;

bool ends_with_parquet(const std::string& path) {
  if (path.size() < 8) return false;
  std::string tail = path.substr(path.size() - 8);
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".parquet";
}

bool ends_with_json(const std::string& path) {
  return path.size() >= 5 && (path.ends_with(".json") || path.ends_with(".JSON"));
}

// A local folder, or an s3:// prefix (a listing request: not asked of a
// remote *.json object).
bool is_folder(const std::string& path) {
  if (remote::is_remote(path) && ends_with_json(path)) return false;
  return store::is_folder(path);
}

std::vector<std::string> shards_of(const std::string& path) {
  std::vector<std::string> shards;
  const bool glob = store::has_glob_characters(path) && !is_folder(path);
  const std::vector<std::string> named = glob ? store::expand_glob(path) : std::vector<std::string>{path};
  for (const std::string& p : named) {
    // A remote glob's matches say which are prefixes: no request to ask.
    if (!(glob && remote::is_remote(p) ? p.ends_with('/') : is_folder(p))) {
      shards.push_back(p);
      continue;
    }
    std::vector<std::string> files = store::list_parquet_files(p);
    if (files.empty()) fail(ErrorCode::kNotFound, "{}: the folder holds no .parquet file", p);
    shards.insert(shards.end(), files.begin(), files.end());
  }
  return shards;
}

// The columns of one shard that make a record; -1 when absent.
struct RecordColumns {
  int id = -1;
  int instruction = -1;
  int answer = -1;
  int image_ids = -1;  // a list of strings
  int embedded = -1;   // the `path` (else `bytes`) leaf of a list of Image structs
  int rel_ins_ids = -1;
};

int find_flat(const parquet::Schema& schema, std::string_view name) {
  const int index = schema.find_column(name);
  return index >= 0 && !schema.column(static_cast<size_t>(index)).is_list ? index : -1;
}

int find_list(const parquet::Schema& schema, std::string_view name) {
  const int index = schema.find_column(name);
  if (index < 0) return -1;
  const parquet::ColumnDescriptor& c = schema.column(static_cast<size_t>(index));
  return c.is_list && c.field_name == name ? index : -1;
}

RecordColumns find_columns(const ParquetFile& file) {
  const parquet::Schema& schema = file.schema();
  RecordColumns columns;
  columns.id = find_flat(schema, "id");
  if (columns.id < 0) {
    fail_invalid(
        "{}: no 'id' column (a Hugging Face instruction shard has id, instruction, answer, images, "
        "related instructions)",
        file.path());
  }
  columns.instruction = find_flat(schema, "instruction");
  columns.answer = find_flat(schema, "answer");
  for (const char* name : {"images", "image_ids"}) {
    if (columns.image_ids < 0) columns.image_ids = find_list(schema, name);
  }
  if (columns.image_ids < 0) {
    columns.embedded = find_list(schema, "images.path");
    if (columns.embedded < 0) columns.embedded = find_list(schema, "images.bytes");
  }
  for (const char* name : {"related instructions", "rel_ins_ids"}) {
    if (columns.rel_ins_ids < 0) columns.rel_ins_ids = find_list(schema, name);
  }
  return columns;
}

// A scalar as JSON: strings (and binaries) as strings, numbers as numbers,
// so that the JSON reader's type checks see what the shard holds.
void append_value(std::string& out, const Value& v) {
  char digits[32];
  switch (v.kind) {
    case Value::Kind::kBytes: append_json_string(out, v.bytes); return;
    case Value::Kind::kBool: out += v.b ? "true" : "false"; return;
    case Value::Kind::kInt32:
      out.append(digits, std::to_chars(digits, digits + sizeof digits, v.i32).ptr);
      return;
    case Value::Kind::kInt64:
      out.append(digits, std::to_chars(digits, digits + sizeof digits, v.i64).ptr);
      return;
    case Value::Kind::kFloat: out += fmt::format("{}", v.f); return;
    case Value::Kind::kDouble: out += fmt::format("{}", v.d); return;
    default: out += "null"; return;
  }
}

class Renderer {
 public:
  explicit Renderer(std::string& out) : out_(out) {}

  void shard(const std::string& path) {
    std::shared_ptr<const ParquetFile> file = ParquetFile::open(path);
    const RecordColumns c = find_columns(*file);
    std::vector<int> wanted{c.id};
    auto add = [&](int column) {
      if (column < 0) return -1;
      wanted.push_back(column);
      return static_cast<int>(wanted.size()) - 1;
    };
    const int instruction = add(c.instruction), answer = add(c.answer), image_ids = add(c.image_ids),
              embedded = add(c.embedded), rel_ins_ids = add(c.rel_ins_ids);
    RowReader reader(file, wanted);
    std::vector<Value> row;
    for (int64_t r = 0; reader.next(row); ++r) {
      const Value& id = row[0];
      if (id.kind == Value::Kind::kNull) fail_corrupt("{}: row {}: the id is null", path, r);
      out_ += records_++ == 0 ? "\n" : ",\n";
      std::string id_text;
      if (id.kind == Value::Kind::kBytes) {
        id_text.assign(id.bytes);
      } else {
        append_value(id_text, id);
      }
      append_json_string(out_, id_text);
      out_ += ":{";
      bool first = true;
      auto field = [&](const char* name, int at) {
        if (at < 0) return false;
        out_ += first ? "\"" : ",\"";
        out_ += name;
        out_ += "\":";
        first = false;
        if (row[static_cast<size_t>(at)].kind != Value::Kind::kNull) return true;
        out_ += "null";
        return false;
      };
      if (field("instruction", instruction)) append_value(out_, row[static_cast<size_t>(instruction)]);
      if (field("answer", answer)) append_value(out_, row[static_cast<size_t>(answer)]);
      if (field("image_ids", image_ids)) append_list(row[static_cast<size_t>(image_ids)]);
      if (field("image_ids", embedded))
        append_embedded(id_text, row[static_cast<size_t>(embedded)], c.embedded, *file);
      if (field("rel_ins_ids", rel_ins_ids)) append_list(row[static_cast<size_t>(rel_ins_ids)]);
      out_ += '}';
    }
  }

  size_t records() const { return records_; }

 private:
  void append_list(const Value& list) {
    out_ += '[';
    for (size_t i = 0; i < list.list.size(); ++i) {
      if (i) out_ += ',';
      append_value(out_, list.list[i]);
    }
    out_ += ']';
  }

  // The ids of the row's pictures: their `path`, else "<id>#<position>".
  void append_embedded(const std::string& row_id, const Value& list, int column, const ParquetFile& file) {
    const bool paths = file.schema().column(static_cast<size_t>(column)).field_name == "images.path";
    out_ += '[';
    for (size_t i = 0; i < list.list.size(); ++i) {
      if (i) out_ += ',';
      std::optional<std::string_view> path;
      if (paths && list.list[i].kind == Value::Kind::kBytes) path = list.list[i].bytes;
      append_json_string(out_, embedded_image_id(row_id, i, path));
    }
    out_ += ']';
  }

  std::string& out_;
  size_t records_ = 0;
};

}  // namespace

bool has_embedded_images(const std::string& path) {
  const std::vector<std::string> shards = shards_of(path);
  if (shards.empty()) return false;
  const RecordColumns columns = find_columns(*ParquetFile::open(shards.front()));
  return columns.embedded >= 0;
}

bool names_parquet_instructions(const std::string& path) {
  return ends_with_parquet(path) || is_folder(path) || store::has_glob_characters(path);
}

std::shared_ptr<const MappedFile> render_parquet_instructions(const std::string& path,
                                                              std::vector<ParquetShardStart>* shards) {
  std::string text = "{\"data\":{";
  Renderer renderer(text);
  for (const std::string& shard : shards_of(path)) {
    if (shards) shards->push_back({shard, renderer.records()});
    renderer.shard(shard);
  }
  text += "\n}}\n";
  return MappedFile::from_bytes(path, as_bytes(text));
}

}  // namespace mimicit::dataset
