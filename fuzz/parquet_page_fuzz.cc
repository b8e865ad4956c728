// Fuzz target: page decoding, every encoding and codec, through the real
// column chunk reader.
//
// Input: a 17-byte prefix describing one column, then the raw bytes of its
// column chunk (page headers and page data, dictionary page included):
//   [0] physical type (mod 8)          [1] codec (mod 8)
//   [2] max definition level (mod 4)   [3] max repetition level (mod 3, <= [2])
//   [4] FIXED_LEN_BYTE_ARRAY width     [5] converted type (>= 22: none)
//   [6] scale  [7] precision           [8..11] chunk num_values (LE)
//   [12..15] row group num_rows (LE)   [16] bit 0: verify CRCs,
//                                           bit 1: stream point reads above 64 bytes
// The target wraps the chunk in a valid file (one row group, a schema chain
// of REPEATED then OPTIONAL groups giving the levels asked for) and walks it
// with parquet_walk.h: every page decoded, rows assembled and rendered, point
// reads streamed and whole. Keeping the footer valid lets the fuzzer spend
// its time inside the pages; parquet_cat_fuzz mutates whole files instead.
// Seeds: the column chunks of the parquet-testing files (fuzz/make_seeds.py).
#include <cstring>

#include "fuzz_util.h"
#include "parquet/metadata_codec.h"
#include "parquet_walk.h"

namespace {

using namespace mimicit::parquet;
using mimicit::Buffer;

constexpr size_t kPrefix = 17;

uint32_t load_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

FileMetaData describe(const uint8_t* prefix, size_t chunk_size) {
  const Type type = static_cast<Type>(prefix[0] % 8);
  const int def = prefix[2] % 4;
  const int rep = std::min(prefix[3] % 3, def);
  FileMetaData m;
  m.version = 2;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 1;
  m.schema.push_back(root);
  std::vector<std::string> path;
  // rep REPEATED groups, then def - rep OPTIONAL ones, the last being the leaf.
  const int nodes = std::max(def, 1);
  for (int i = 0; i < nodes; ++i) {
    SchemaElement e;
    e.name = "c" + std::to_string(i);
    e.repetition_type = i < rep   ? Repetition::REPEATED
                        : i < def ? Repetition::OPTIONAL
                                  : Repetition::REQUIRED;
    if (i + 1 < nodes) {
      e.num_children = 1;
    } else {
      e.type = type;
      if (type == Type::FIXED_LEN_BYTE_ARRAY) e.type_length = prefix[4];
      if (prefix[5] < 22) e.converted_type = static_cast<ConvertedType>(prefix[5]);
      e.scale = prefix[6];
      e.precision = prefix[7];
    }
    path.push_back(e.name);
    m.schema.push_back(e);
  }
  ColumnMetaData c;
  c.type = type;
  c.encodings = {Encoding::PLAIN};
  c.path_in_schema = path;
  c.codec = static_cast<Codec>(prefix[1] % 8);
  c.num_values = load_u32(prefix + 8);
  c.total_compressed_size = static_cast<int64_t>(chunk_size);
  c.total_uncompressed_size = static_cast<int64_t>(chunk_size);
  c.data_page_offset = 4;
  ColumnChunk chunk;
  chunk.file_offset = 4;
  chunk.meta_data = c;
  RowGroup rg;
  rg.columns.push_back(chunk);
  rg.num_rows = load_u32(prefix + 12);
  rg.total_byte_size = static_cast<int64_t>(chunk_size);
  m.row_groups.push_back(rg);
  m.num_rows = rg.num_rows;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mimicit::fuzz::TempFile temp("page.parquet");
  if (size < kPrefix) return 0;
  const uint8_t* chunk = data + kPrefix;
  const size_t chunk_size = size - kPrefix;

  Buffer file;
  file.append("PAR1", 4);
  file.append(chunk, chunk_size);
  const size_t footer_start = file.size();
  encode_file_metadata(describe(data, chunk_size), file);
  const uint32_t footer = static_cast<uint32_t>(file.size() - footer_start);
  const uint8_t len[4] = {uint8_t(footer), uint8_t(footer >> 8), uint8_t(footer >> 16),
                          uint8_t(footer >> 24)};
  file.append(len, 4);
  file.append("PAR1", 4);
  temp.write(file.data(), file.size());

  const uint8_t flags = data[16];
  mimicit::fuzz::accept_errors([&] {
    auto options = mimicit::fuzz::fuzz_reader_options(flags & 1, flags & 2 ? 64 : 4u << 20);
    mimicit::fuzz::walk_parquet_file(ParquetFile::open(temp.path(), options));
  });
  return 0;
}
