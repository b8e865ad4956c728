// ImageStoreOptions' limits: max_image_bytes refuses an image before its
// memory is taken (base64 text by its decoded size, a binary value, an
// image file), with Error(kLimit) naming the file and the id, in every kind
// of store; an image exactly at the limit reads. The store's Parquet files
// get ImageStoreOptions::parquet (ReaderOptions). docs/reliability.md lists
// the limits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/writer.h"
#include "test_data.h"

namespace mimicit {
namespace {

namespace fs = std::filesystem;

// 300 bytes of image; 400 characters of base64.
const std::string kImage(300, 'x');

ImageStoreOptions with_limit(uint64_t max_image_bytes) {
  ImageStoreOptions options;
  options.use_saved_index = false;
  options.save_index = false;
  options.max_image_bytes = max_image_bytes;
  return options;
}

// The Error(kLimit) message of getting `id`, or "" when it reads.
std::string limit_error(const std::string& path, const std::string& id, const ImageStoreOptions& options) {
  try {
    Buffer out;
    ImageStore::open(path, options)->get(id, out);
    EXPECT_EQ(out.size(), kImage.size());
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    return e.what();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path write_parquet(const fs::path& dir, bool base64) {
  const fs::path path = dir / (base64 ? "base64.parquet" : "binary.parquet");
  parquet::WriterOptions options;
  options.pandas_index_column = "__index_level_0__";
  parquet::ParquetWriter writer(path.string(),
                                {{.name = "__index_level_0__", .is_string = true},
                                 {.name = base64 ? "base64" : "image", .is_string = base64}},
                                options);
  writer.append_bytes(0, "LA_IMG_1");
  writer.append_bytes(1, base64 ? base64_encode(as_bytes(kImage)) : kImage);
  writer.end_row();
  writer.close();
  return path;
}

TEST(StoreLimits, Base64IsMeasuredBeforeDecoding) {
  const fs::path dir = testing::temp_dir("store_limits_b64");
  const fs::path json = dir / "images.json";
  std::ofstream(json) << R"({"LA_IMG_1": ")" << base64_encode(as_bytes(kImage)) << R"("})";
  for (const fs::path& path : {json, write_parquet(dir, true)}) {
    SCOPED_TRACE(path.string());
    EXPECT_EQ(limit_error(path.string(), "LA_IMG_1", with_limit(300)), "");
    const std::string message = limit_error(path.string(), "LA_IMG_1", with_limit(299));
    EXPECT_TRUE(contains(message, path.string())) << message;
    EXPECT_TRUE(contains(message, "'LA_IMG_1'")) << message;
    EXPECT_TRUE(contains(message, "base64 text of 400 bytes is over the limit of 299 bytes")) << message;
  }
}

TEST(StoreLimits, BinaryValuesAndImageFiles) {
  const fs::path dir = testing::temp_dir("store_limits_bin");
  fs::create_directories(dir / "folder");
  std::ofstream(dir / "folder" / "LA_IMG_1.jpg") << kImage;
  struct Case {
    fs::path path;
    const char* what;
  };
  for (const Case& c : {Case{write_parquet(dir, false), "a value of 300 bytes"},
                        Case{dir / "folder", "a file of 300 bytes"}}) {
    SCOPED_TRACE(c.path.string());
    EXPECT_EQ(limit_error(c.path.string(), "LA_IMG_1", with_limit(300)), "");
    const std::string message = limit_error(c.path.string(), "LA_IMG_1", with_limit(299));
    EXPECT_TRUE(contains(message, "'LA_IMG_1'")) << message;
    EXPECT_TRUE(contains(message, std::string(c.what) + " is over the limit of 299 bytes")) << message;
  }
}

TEST(StoreLimits, ParquetReaderOptionsReachTheFiles) {
  const fs::path path = write_parquet(testing::temp_dir("store_limits_pq"), true);
  ImageStoreOptions options = with_limit(ImageStoreOptions{}.max_image_bytes);
  options.parquet.max_footer_bytes = 16;
  try {
    ImageStore::open(path.string(), options);
    ADD_FAILURE() << "the footer limit was not applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    EXPECT_TRUE(contains(e.what(), "exceeds the limit of 16 bytes")) << e.what();
  }
}

}  // namespace
}  // namespace mimicit
