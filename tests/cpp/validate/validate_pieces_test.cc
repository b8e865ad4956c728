// validate's decode pass in pieces (decode_targets, decode_range,
// DecodeResult::merge, Options::decoded): cut into ranges of any size and
// merged, it gives the report of a local decode pass, including the
// placement of image problems on their first use across groups sharing a
// store and the per-kind listing cap.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mimicit/base64.h"
#include "mimicit/image.h"
#include "mimicit/parquet/writer.h"
#include "mimicit/validate.h"
#include "store/storage_ranges.h"
#include "test_data.h"

namespace mimicit::validate {
namespace {

namespace fs = std::filesystem;

std::string png_base64(uint32_t width, uint32_t height, uint8_t shade) {
  image::RgbImage rgb;
  rgb.width = width;
  rgb.height = height;
  rgb.pixels.assign(size_t{width} * height * 3, shade);
  Buffer png;
  image::encode_png_fast(rgb, png);
  return base64_encode(png.view());
}

// Image i of the Parquet store: good, bad base64, not an image or tiny.
std::string payload(int i) {
  switch (i % 4) {
    case 0: return png_base64(12, 10, static_cast<uint8_t>(i));
    case 1: return "@@@ not base64 @@@";
    case 2: return base64_encode(as_bytes("not an image " + std::to_string(i)));
    default: return png_base64(3, 4, static_cast<uint8_t>(i));
  }
}

// Two stores (Parquet with row groups of 5 rows in scrambled id order, a
// legacy JSON), the Parquet one shared by two groups.
std::string write_dataset(const fs::path& dir) {
  parquet::WriterOptions options;
  options.row_group_rows = 5;
  options.pandas_index_column = "__index_level_0__";
  parquet::ParquetWriter store((dir / "S.parquet").string(),
                               {{.name = "base64", .is_string = true, .dictionary = false},
                                {.name = "__index_level_0__", .is_string = true}},
                               options);
  for (int k = 0; k < 48; ++k) {
    int i = (k * 29) % 48;
    store.append_bytes(0, payload(i));
    store.append_bytes(1, "S_" + std::to_string(i));
    store.end_row();
  }
  store.close();
  std::ofstream json(dir / "J.json");
  json << "{";
  for (int i = 0; i < 12; ++i)
    json << "\"J_" << i << "\": \"" << (i % 3 ? png_base64(9, 9, 1) : "%%%") << "\", ";
  json << "\"J_last\": \"" << png_base64(2, 2, 3) << "\"}";
  json.close();
  auto records = [&](const std::string& name, const std::string& prefix, int count, auto images) {
    std::ofstream out(dir / name);
    out << R"({"meta": {}, "data": {)";
    for (int k = 0; k < count; ++k) {
      out << (k ? ", " : "") << "\"" << prefix << k
          << R"(": {"instruction": "Q?", "answer": "A.", "image_ids": )" << images(k) << "}";
    }
    out << "}}";
  };
  auto pair = [](const std::string& a, const std::string& b) { return "[\"" + a + "\", \"" + b + "\"]"; };
  records("X.json", "X_", 20,
          [&](int k) { return pair("S_" + std::to_string(k * 7 % 48), "S_" + std::to_string(k)); });
  records("Y.json", "Y_", 10,
          [&](int k) { return pair("J_" + std::to_string(k), "S_" + std::to_string(k * 5 % 48)); });
  std::ofstream(dir / "data.yaml") << "IMAGE_TEXT:\n  X:\n    mimicit_path: " << (dir / "X.json").string()
                                   << "\n    images_path: " << (dir / "S.parquet").string()
                                   << "\nVIDEO_TEXT:\n  Y:\n    mimicit_path: " << (dir / "Y.json").string()
                                   << "\n    images_path: [" << (dir / "J.json").string() << ", "
                                   << (dir / "S.parquet").string() << "]\n";
  return (dir / "data.yaml").string();
}

void expect_same(const Report& a, const Report& b) {
  EXPECT_EQ(report_json(a).size(), report_json(b).size());
  ASSERT_EQ(a.problems.size(), b.problems.size());
  for (size_t i = 0; i < a.problems.size(); ++i) EXPECT_TRUE(a.problems[i] == b.problems[i]) << i;
  EXPECT_EQ(a.summary.counts, b.summary.counts);
  EXPECT_EQ(a.summary.omitted, b.summary.omitted);
  EXPECT_EQ(a.summary.images_decoded, b.summary.images_decoded);
  EXPECT_EQ(a.summary.records, b.summary.records);
  EXPECT_EQ(a.summary.notes, b.summary.notes);
}

TEST(ValidatePiecesTest, MergedRangesGiveTheLocalReport) {
  fs::path dir = testing::temp_dir("validate_pieces");
  const std::string yaml = write_dataset(dir);
  for (uint64_t cap : {0, 2, 1000}) {
    Options options;
    options.decode = true;
    options.threads = 2;
    options.max_problems = cap;
    const Report local = validate_data(yaml, options);
    EXPECT_GE(local.summary.count(Kind::kBadBase64), 12u);
    EXPECT_GE(local.summary.count(Kind::kTinyImage), 12u);
    const std::vector<std::string> targets = decode_targets(yaml, options);
    ASSERT_EQ(targets, (std::vector<std::string>{(dir / "S.parquet").string(), (dir / "J.json").string()}));
    for (uint64_t size : {1, 4, 7, 100}) {
      Options split = options;
      for (const std::string& target : targets) {
        auto store = ImageStore::open(target);
        DecodeResult& merged = split.decoded[target];
        std::vector<StorageRange> ranges = cut_storage_order(*store, size);
        for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {  // any order
          merged.merge(decode_range(target, it->begin, it->end, options), cap);
        }
        EXPECT_EQ(merged.images, store->size());
      }
      const Report pieces = validate_data(yaml, split);
      expect_same(pieces, local);
    }
  }
  fs::remove_all(dir);
}

TEST(ValidatePiecesTest, DecodedStoresAreNotReadAgain) {
  fs::path dir = testing::temp_dir("validate_pieces_given");
  const std::string yaml = write_dataset(dir);
  Options options;
  options.decode = true;
  DecodeResult given;
  given.images = 5;
  given.counts[static_cast<size_t>(Kind::kTinyImage)] = 3;
  given.kept.push_back({.kind = Kind::kTinyImage, .image_id = "S_7", .detail = "made up"});
  options.decoded[(dir / "S.parquet").string()] = given;
  const Report report = validate_data(yaml, options);
  EXPECT_EQ(report.summary.count(Kind::kTinyImage), 3u + 1u);  // 3 given, J_last decoded here
  bool found = false;
  for (const Problem& p : report.problems)
    found = found || (p.image_id == "S_7" && p.detail.find("made up") == 0);
  EXPECT_TRUE(found);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mimicit::validate
