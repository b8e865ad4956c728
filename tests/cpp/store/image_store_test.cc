#include "mimicit/image_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/parquet/writer.h"
#include "store/open_store.h"
#include "store/parquet_source.h"
#include "store/store_index.h"
#include "test_data.h"

namespace mimicit {
namespace {

namespace fs = std::filesystem;
using parquet::ParquetWriter;
using parquet::Type;
using parquet::WriterColumn;
using parquet::WriterOptions;
using Images = std::map<std::string, std::string>;  // id -> image bytes

// Deterministic pseudo-image bytes of varying length (the store never
// decodes them).
std::string image_bytes(const std::string& id, size_t size) {
  std::string bytes = "\x89PNG" + id;
  uint32_t state = static_cast<uint32_t>(std::hash<std::string>{}(id));
  while (bytes.size() < size) {
    state = state * 1664525u + 1013904223u;
    bytes.push_back(static_cast<char>(state >> 24));
  }
  return bytes;
}

Images make_images(const std::string& prefix, int count) {
  Images images;
  for (int i = 0; i < count; ++i) {
    std::string id = prefix + "_IMG_" + std::to_string(1000 + i * 7);
    images[id] = image_bytes(id, 20 + static_cast<size_t>(i % 50) * 13);
  }
  return images;
}

enum class Layout { kPandasBase64, kIdBinary };

// Writes rows (id, image bytes) in this order as a store file.
using Rows = std::vector<std::pair<std::string, std::string>>;

void write_rows(const fs::path& path, const Rows& rows, Layout layout, int64_t row_group_rows = 1 << 20) {
  WriterOptions options;
  options.row_group_rows = row_group_rows;
  options.page_rows = 7;  // many pages: seeks cross pages and row groups
  std::vector<WriterColumn> columns;
  if (layout == Layout::kPandasBase64) {
    columns = {{.name = "base64", .is_string = true, .dictionary = false},
               {.name = "__index_level_0__", .is_string = true}};
    options.pandas_index_column = "__index_level_0__";
  } else {
    columns = {{.name = "id", .is_string = true}, {.name = "image", .dictionary = false}};
  }
  ParquetWriter writer(path.string(), columns, options);
  for (const auto& [id, bytes] : rows) {
    if (layout == Layout::kPandasBase64) {
      writer.append_bytes(0, base64_encode(as_bytes(bytes)));
      writer.append_bytes(1, id);
    } else {
      writer.append_bytes(0, id);
      writer.append_bytes(1, bytes);
    }
    writer.end_row();
  }
  writer.close();
}

void write_store(const fs::path& path, const Images& images, Layout layout,
                 int64_t row_group_rows = 1 << 20) {
  write_rows(path, Rows(images.begin(), images.end()), layout, row_group_rows);
}

std::string get_string(const ImageStore& store, std::string_view id) {
  Buffer out;
  store.get(id, out);
  return std::string(as_string_view(out.view()));
}

void expect_store_holds(const ImageStore& store, const Images& images) {
  ASSERT_EQ(store.size(), images.size());
  for (const auto& [id, bytes] : images) {
    ASSERT_TRUE(store.contains(id)) << id;
    ASSERT_EQ(get_string(store, id), bytes) << id;
  }
  std::vector<std::string> ids;
  store.for_each_id([&](std::string_view id) {
    ids.emplace_back(id);
    return true;
  });
  std::vector<std::string> expected;
  for (const auto& entry : images) expected.push_back(entry.first);
  EXPECT_EQ(ids, expected);
}

ImageStoreOptions no_saved_index() {
  ImageStoreOptions options;
  options.use_saved_index = options.save_index = false;
  return options;
}

ErrorCode error_code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::kInternal;
}

// ---------------------------------------------------------------------------

TEST(ImageStoreTest, PandasIndexWithBase64) {
  fs::path dir = testing::temp_dir("store_pandas");
  Images images = make_images("LA", 200);
  write_store(dir / "s.parquet", images, Layout::kPandasBase64, 64);
  auto store = ImageStore::open((dir / "s.parquet").string(), no_saved_index());
  expect_store_holds(*store, images);
  EXPECT_EQ(store->payload_kinds(), std::vector<PayloadKind>{PayloadKind::kBase64});
  EXPECT_TRUE(store->duplicates().empty());
  uint64_t id_bytes = 0;
  for (const auto& entry : images) id_bytes += entry.first.size();
  EXPECT_EQ(store->index_bytes(), id_bytes + 16 * images.size());
}

TEST(ImageStoreTest, IdColumnWithBinaryPayloadInFileOrder) {
  fs::path dir = testing::temp_dir("store_binary");
  Images images = make_images("CGD", 120);
  // Unsorted in the file: the index sorts.
  write_rows(dir / "s.parquet", Rows(images.rbegin(), images.rend()), Layout::kIdBinary, 50);
  auto store = ImageStore::open((dir / "s.parquet").string(), no_saved_index());
  expect_store_holds(*store, images);
  EXPECT_EQ(store->payload_kinds(), std::vector<PayloadKind>{PayloadKind::kBinary});
}

TEST(ImageStoreTest, IntegerPandasIndex) {
  fs::path path = testing::temp_dir("store_int") / "s.parquet";
  WriterOptions options;
  options.pandas_index_column = "n";
  ParquetWriter writer(path.string(), {{.name = "n", .type = Type::INT64}, {.name = "data"}}, options);
  for (int64_t n : {5, -3, 12}) {
    writer.append_int64(0, n);
    writer.append_bytes(1, "img" + std::to_string(n));
    writer.end_row();
  }
  writer.close();
  auto store = ImageStore::open(path.string(), no_saved_index());
  EXPECT_EQ(get_string(*store, "-3"), "img-3");
  EXPECT_EQ(get_string(*store, "12"), "img12");
  EXPECT_EQ(store->size(), 3u);
}

TEST(ImageStoreTest, NoUsableColumnsListsThem) {
  fs::path dir = testing::temp_dir("store_nocolumns");
  ParquetWriter writer((dir / "a.parquet").string(),
                       {{.name = "name", .is_string = true}, {.name = "width", .type = Type::INT32}});
  writer.append_bytes(0, "x");
  writer.append_int32(1, 3);
  writer.end_row();
  writer.close();
  std::string message;
  EXPECT_EQ(
      error_code_of([&] { ImageStore::open((dir / "a.parquet").string(), no_saved_index()); }, &message),
      ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("a.parquet"), std::string::npos) << message;
  EXPECT_NE(message.find("'name'"), std::string::npos) << message;
  EXPECT_NE(message.find("'width'"), std::string::npos) << message;

  // An id but no payload.
  ParquetWriter ids_only((dir / "b.parquet").string(), {{.name = "id", .is_string = true}});
  ids_only.append_bytes(0, "x");
  ids_only.end_row();
  ids_only.close();
  EXPECT_EQ(
      error_code_of([&] { ImageStore::open((dir / "b.parquet").string(), no_saved_index()); }, &message),
      ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("payload"), std::string::npos) << message;
}

TEST(ImageStoreTest, PartitionFolderInNaturalOrderLastWins) {
  fs::path dir = testing::temp_dir("store_partitions");
  Images a = make_images("A", 30), b = make_images("B", 30), c = make_images("C", 30);
  a["dup"] = "from part.1";
  b["dup"] = "from part.2";
  c["dup"] = "from part.10";
  write_store(dir / "part.10.parquet", c, Layout::kPandasBase64);
  write_store(dir / "part.2.parquet", b, Layout::kPandasBase64);
  write_store(dir / "part.1.parquet", a, Layout::kPandasBase64);
  for (const char* junk : {"_metadata", "_common_metadata", ".hidden.parquet", "_SUCCESS", "notes.txt"}) {
    std::ofstream(dir / junk) << "not parquet";
  }
  fs::create_directories(dir / "_temporary");
  std::ofstream(dir / "_temporary" / "part.99.parquet") << "not parquet";

  auto store = ImageStore::open(dir.string(), no_saved_index());
  std::vector<std::string> names;
  for (const std::string& file : store->files()) names.push_back(fs::path(file).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"part.1.parquet", "part.2.parquet", "part.10.parquet"}));
  Images all = a;
  all.insert(b.begin(), b.end());
  all.insert(c.begin(), c.end());
  all["dup"] = "from part.10";
  expect_store_holds(*store, all);
  ASSERT_EQ(store->duplicates().size(), 1u);
  EXPECT_EQ(store->duplicates()[0].id, "dup");
  EXPECT_EQ(store->duplicates()[0].occurrences, 3u);
}

TEST(ImageStoreTest, DuplicatesWithinAFileAndAcrossPaths) {
  fs::path dir = testing::temp_dir("store_duplicates");
  write_rows(dir / "x.parquet", {{"k", "first"}, {"j", "j"}, {"k", "second"}}, Layout::kIdBinary);
  write_rows(dir / "y.parquet", {{"j", "j2"}}, Layout::kIdBinary);
  auto store =
      ImageStore::open({(dir / "x.parquet").string(), (dir / "y.parquet").string()}, no_saved_index());
  EXPECT_EQ(get_string(*store, "k"), "second");
  EXPECT_EQ(get_string(*store, "j"), "j2");
  ASSERT_EQ(store->duplicates().size(), 2u);
  EXPECT_EQ(store->duplicates()[0].id, "j");
  EXPECT_EQ(store->duplicates()[1].id, "k");
  EXPECT_EQ(store->size(), 2u);
}

TEST(ImageStoreTest, NaturalOrder) {
  using store::natural_less;
  EXPECT_TRUE(natural_less("part.2.parquet", "part.10.parquet"));
  EXPECT_FALSE(natural_less("part.10.parquet", "part.2.parquet"));
  EXPECT_TRUE(natural_less("a/part.9", "b/part.1"));
  EXPECT_TRUE(natural_less("part.1", "part.1.x"));
  EXPECT_TRUE(natural_less("x007", "x8"));
  EXPECT_FALSE(natural_less("same", "same"));
  std::vector<std::string> names = {"p10", "p2", "p1", "p02", "q", "p"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names, (std::vector<std::string>{"p", "p1", "p02", "p2", "p10", "q"}));
}

TEST(ImageStoreTest, UnknownIdAndBadBase64NameTheId) {
  fs::path dir = testing::temp_dir("store_errors");
  WriterOptions options;
  options.pandas_index_column = "__index_level_0__";
  ParquetWriter writer(
      (dir / "s.parquet").string(),
      {{.name = "__index_level_0__", .is_string = true}, {.name = "base64", .is_string = true}}, options);
  for (auto [id, text] : {std::pair{"good", "aGVsbG8"}, std::pair{"broken_42", "aGV$bG8xzq"}}) {
    writer.append_bytes(0, id);
    writer.append_bytes(1, text);
    writer.end_row();
  }
  writer.close();
  auto store = ImageStore::open((dir / "s.parquet").string(), no_saved_index());
  EXPECT_EQ(get_string(*store, "good"), "hello");
  std::string message;
  EXPECT_EQ(error_code_of([&] { get_string(*store, "LA_IMG_missing"); }, &message), ErrorCode::kNotFound);
  EXPECT_NE(message.find("LA_IMG_missing"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { get_string(*store, "broken_42"); }, &message), ErrorCode::kCorrupt);
  EXPECT_NE(message.find("broken_42"), std::string::npos) << message;
  EXPECT_NE(message.find("s.parquet"), std::string::npos) << message;
  EXPECT_FALSE(store->contains("LA_IMG_missing"));
}

TEST(ImageStoreTest, MissingOrEmptyPathIsNamed) {
  fs::path dir = testing::temp_dir("store_missing");
  std::string message;
  EXPECT_EQ(error_code_of([&] { ImageStore::open((dir / "nope.parquet").string()); }, &message),
            ErrorCode::kIo);
  EXPECT_NE(message.find("nope.parquet"), std::string::npos) << message;
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "empty" / "readme.txt") << "x";
  EXPECT_EQ(error_code_of([&] { ImageStore::open((dir / "empty").string()); }, &message),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
}

TEST(ImageStoreTest, ImageFolder) {
  fs::path dir = testing::temp_dir("store_folder");
  std::ofstream(dir / "b.JPG") << "jpeg b";
  std::ofstream(dir / "a.png") << "png a";
  std::ofstream(dir / "LA_IMG_3.webp") << "webp";
  std::ofstream(dir / "notes.txt") << "not an image";
  std::ofstream(dir / ".hidden.png") << "hidden";
  auto store = ImageStore::open(dir.string(), no_saved_index());
  expect_store_holds(*store, {{"a", "png a"}, {"b", "jpeg b"}, {"LA_IMG_3", "webp"}});
  EXPECT_EQ(store->payload_kinds(), std::vector<PayloadKind>{PayloadKind::kImageFile});
}

TEST(ImageStoreTest, LegacyJsonWithParquet) {
  fs::path dir = testing::temp_dir("store_json");
  std::ofstream(dir / "images.json") << R"({"a": "aGVsbG8=", "b\u0031": ["d29ybGQ", "x"], "c": "QUJD"})";
  write_rows(dir / "more.parquet", {{"c", "from parquet"}}, Layout::kIdBinary);
  auto store =
      ImageStore::open({(dir / "images.json").string(), (dir / "more.parquet").string()}, no_saved_index());
  expect_store_holds(*store, {{"a", "hello"}, {"b1", "world"}, {"c", "from parquet"}});
  EXPECT_EQ(store->payload_kinds()[0], PayloadKind::kJsonBase64);
}

// ---------------------------------------------------------------------------
// The saved index.

TEST(ImageStoreTest, SavedIndexIsReusedAndRebuiltWhenStale) {
  fs::path dir = testing::temp_dir("store_saved");
  fs::path path = dir / "s.parquet";
  Images images = make_images("VST", 300);
  write_store(path, images, Layout::kPandasBase64, 100);
  ImageStoreOptions options;
  options.cache_dir = (dir / "cache").string();

  store::OpenReport report;
  auto first = store::open_store({path.string()}, options, &report);
  EXPECT_FALSE(report.used_saved_index);
  EXPECT_TRUE(report.saved_index);
  EXPECT_EQ(report.index_path, (dir / ".s.parquet.mimicit-index").string());
  ASSERT_TRUE(fs::exists(report.index_path));

  auto second = store::open_store({path.string()}, options, &report);
  EXPECT_TRUE(report.used_saved_index);
  expect_store_holds(*second, images);
  EXPECT_EQ(second->index_bytes(), first->index_bytes());

  // A changed store file makes the saved index stale.
  images["VST_IMG_new"] = "new image";
  write_store(path, images, Layout::kPandasBase64, 100);
  auto third = store::open_store({path.string()}, options, &report);
  EXPECT_FALSE(report.used_saved_index);
  EXPECT_TRUE(report.saved_index);
  expect_store_holds(*third, images);
  store::open_store({path.string()}, options, &report);
  EXPECT_TRUE(report.used_saved_index);
}

TEST(ImageStoreTest, CorruptSavedIndexIsIgnored) {
  fs::path dir = testing::temp_dir("store_corrupt_index");
  fs::path path = dir / "s.parquet";
  Images images = make_images("SD", 100);
  images["dup"] = "x";
  write_store(path, images, Layout::kIdBinary);
  store::OpenReport report;
  store::open_store({path.string()}, {}, &report);
  ASSERT_TRUE(report.saved_index);
  std::string index_path = report.index_path;
  std::vector<uint8_t> good = testing::read_file_bytes(index_path);
  ASSERT_GT(good.size(), 64u);

  auto write_index = [&](const std::vector<uint8_t>& bytes) {
    std::ofstream(index_path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  std::vector<std::vector<uint8_t>> variants;
  for (size_t at : {size_t{0}, size_t{9}, size_t{20}, size_t{70}, good.size() / 2, good.size() - 3}) {
    std::vector<uint8_t> flipped = good;
    flipped[at] ^= 0x5A;
    variants.push_back(flipped);
  }
  variants.emplace_back(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 3));
  variants.emplace_back();
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  variants.push_back(longer);
  for (size_t v = 0; v < variants.size(); ++v) {
    write_index(variants[v]);
    ImageStoreOptions options;
    options.save_index = false;
    auto store = store::open_store({path.string()}, options, &report);
    EXPECT_FALSE(report.used_saved_index) << "variant " << v;
    expect_store_holds(*store, images);
  }
  write_index(good);
  auto store = store::open_store({path.string()}, {}, &report);
  EXPECT_TRUE(report.used_saved_index);
  ASSERT_EQ(store->duplicates().size(), 0u);
}

TEST(ImageStoreTest, FolderAndMultiPathIndexes) {
  fs::path dir = testing::temp_dir("store_index_places");
  fs::create_directories(dir / "parts");
  write_store(dir / "parts" / "part.0.parquet", make_images("A", 10), Layout::kPandasBase64);
  write_store(dir / "parts" / "part.1.parquet", make_images("B", 10), Layout::kPandasBase64);
  write_store(dir / "c.parquet", make_images("C", 10), Layout::kIdBinary);
  ImageStoreOptions options;
  options.cache_dir = (dir / "cache").string();
  store::OpenReport report;

  store::open_store({(dir / "parts").string()}, options, &report);
  EXPECT_EQ(report.index_path, (dir / "parts" / ".mimicit-index").string());
  auto reopened = store::open_store({(dir / "parts").string()}, options, &report);
  EXPECT_TRUE(report.used_saved_index);
  EXPECT_EQ(reopened->files().size(), 2u);  // the index file is not a partition

  std::vector<std::string> paths = {(dir / "parts").string(), (dir / "c.parquet").string()};
  store::open_store(paths, options, &report);
  EXPECT_EQ(fs::path(report.index_path).parent_path(), dir / "cache");
  auto both = store::open_store(paths, options, &report);
  EXPECT_TRUE(report.used_saved_index);
  EXPECT_EQ(both->size(), 30u);
  // Reversed order: another store (last wins differs), another index.
  store::open_store({paths[1], paths[0]}, options, &report);
  EXPECT_FALSE(report.used_saved_index);
}

TEST(ImageStoreTest, IndexGoesToTheCacheWhenItCannotBeSavedBeside) {
  fs::path dir = testing::temp_dir("store_index_fallback");
  fs::path path = dir / "s.parquet";
  Images images = make_images("E", 20);
  write_store(path, images, Layout::kIdBinary);
  // A folder in the way of the index file: like a read-only store folder
  // (which root, running the tests, could still write), saving fails there.
  fs::create_directories(dir / ".s.parquet.mimicit-index");
  ImageStoreOptions options;
  options.cache_dir = (dir / "cache").string();
  store::OpenReport report;
  store::open_store({path.string()}, options, &report);
  EXPECT_TRUE(report.saved_index);
  EXPECT_EQ(fs::path(report.index_path).parent_path(), dir / "cache");
  auto store = store::open_store({path.string()}, options, &report);
  EXPECT_TRUE(report.used_saved_index);
  expect_store_holds(*store, images);
  size_t leftovers = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    leftovers += entry.path().string().find(".tmp-") != std::string::npos;
  EXPECT_EQ(leftovers, 0u);
}

TEST(ImageStoreTest, ImageFolderIndexSurvivesItsOwnIndexFile) {
  fs::path dir = testing::temp_dir("store_folder_index");
  std::ofstream(dir / "a.png") << "a";
  std::ofstream(dir / "b.png") << "b";
  store::OpenReport report;
  store::open_store({dir.string()}, {}, &report);
  EXPECT_TRUE(report.saved_index);
  auto store = store::open_store({dir.string()}, {}, &report);
  EXPECT_TRUE(report.used_saved_index);
  EXPECT_EQ(get_string(*store, "b"), "b");
  std::ofstream(dir / "c.png") << "c";
  store = store::open_store({dir.string()}, {}, &report);
  EXPECT_FALSE(report.used_saved_index);
  EXPECT_EQ(get_string(*store, "c"), "c");
}

// ---------------------------------------------------------------------------

TEST(ImageStoreTest, ConcurrentGets) {
  fs::path dir = testing::temp_dir("store_threads");
  Images a = make_images("A", 400), b = make_images("B", 400);
  write_store(dir / "part.0.parquet", a, Layout::kPandasBase64, 90);
  write_store(dir / "part.1.parquet", b, Layout::kIdBinary, 90);
  auto store = ImageStore::open(dir.string(), no_saved_index());
  std::vector<std::pair<std::string, std::string>> all(a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<uint32_t>(t));
      Buffer out;
      for (int i = 0; i < 1500; ++i) {
        const auto& [id, bytes] = all[random() % all.size()];
        store->get(id, out);
        if (as_string_view(out.view()) != bytes) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(8, 0));
}

TEST(PandasIndexColumnsTest, Scanner) {
  using store::pandas_index_columns;
  EXPECT_EQ(pandas_index_columns(R"({"index_columns": ["__index_level_0__"], "columns": []})"),
            std::vector<std::string>{"__index_level_0__"});
  EXPECT_EQ(
      pandas_index_columns(R"({"column_indexes": [{"name": null, "x": [1, 2.5e3, true]}], "index_columns": )"
                           R"([{"kind": "range", "name": null, "start": 0, "stop": 3, "step": 1}]})"),
      std::vector<std::string>{});
  EXPECT_EQ(
      pandas_index_columns(R"( { "index_columns" : [ "a\"b\\c\u00e9\ud83d\ude00" , {"kind":"range"} ] } )"),
      std::vector<std::string>{"a\"b\\c\xc3\xa9\xf0\x9f\x98\x80"});
  for (const char* bad : {"", "[", "{", R"({"index_columns": ["a")", R"({"index_columns": ["a\q"]})",
                          R"({"x": [[[[}, "index_columns": ["a"]})", "{\"index_columns\": [\"a\\u12\"]}"}) {
    EXPECT_EQ(pandas_index_columns(bad), std::vector<std::string>{}) << bad;
  }
}

TEST(StoreIndexTest, EmptyAndPackedEntries) {
  store::IndexBuilder builder;
  builder.add("b", 65535, 0xFFFFFFFFFFFFFFFFull);
  builder.add("", 1, 7);
  builder.add("a", 0, 1);
  auto index = builder.finish();
  ASSERT_EQ(index->size(), 3u);
  EXPECT_EQ(index->id(0), "");
  EXPECT_EQ(index->id(1), "a");
  EXPECT_EQ(index->id(2), "b");
  EXPECT_EQ(index->entry(2).source(), 65535u);
  EXPECT_EQ(index->entry(2).locator, 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(index->find(""), 0u);
  EXPECT_EQ(index->find("c"), std::nullopt);
  EXPECT_EQ(error_code_of([&] { builder.add("x", 65536, 0); }), ErrorCode::kLimit);

  fs::path path = testing::temp_dir("store_index_empty") / "i";
  auto empty = store::IndexBuilder().finish();
  empty->save(path.string(), {}, 1);
  auto loaded = store::StoreIndex::load(path.string(), {}, 1);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_EQ(loaded->find("a"), std::nullopt);
  EXPECT_EQ(store::StoreIndex::load(path.string(), {}, 2), nullptr);
  EXPECT_EQ(store::StoreIndex::load(path.string(), {{"x", 1, 2}}, 1), nullptr);
}

}  // namespace
}  // namespace mimicit
