#include "util/crc32.h"
#include "test_data.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace mimicit {
namespace {

TEST(Crc32, KnownValues) {
  EXPECT_EQ(crc32(as_bytes("")), 0u);
  EXPECT_EQ(crc32(ByteView()), 0u);
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(crc32(as_bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
}

TEST(Crc32, EmptyViewKeepsRunningValue) {
  uint32_t c = crc32(as_bytes("abc"));
  EXPECT_EQ(crc32(ByteView(), c), c);
}

TEST(Crc32, Continues) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(100000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  ByteView all(data);
  uint32_t whole = crc32(all);
  for (size_t split : {size_t{0}, size_t{1}, size_t{4095}, size_t{50000}, data.size()}) {
    EXPECT_EQ(crc32(all.subspan(split), crc32(all.first(split))), whole) << split;
  }
}

// Parquet page CRCs: the pages of these files carry a crc field computed over
// the stored (compressed) page bytes. Offsets and sizes of the page bodies
// were found by parsing the page headers with a script.
struct PageCrc {
  const char* file;
  size_t offset;
  size_t size;
  int32_t stored_crc;  // as in the header: a signed i32
  bool matches;
};

TEST(Crc32, MatchesParquetPageChecksums) {
  const PageCrc pages[] = {
      {"datapage_v1-uncompressed-checksum.parquet", 32, 10240, -1144112227, true},
      {"datapage_v1-uncompressed-checksum.parquet", 30836, 10240, 1216679186, true},
      {"datapage_v1-snappy-compressed-checksum.parquet", 30, 735, -42322992, true},
      {"datapage_v1-snappy-compressed-checksum.parquet", 792, 735, -924317436, true},
      {"datapage_v1-corrupt-checksum.parquet", 32, 10240, -1144112227, false},
      {"datapage_v1-corrupt-checksum.parquet", 10300, 10240, -1774901131, true},
      {"datapage_v1-corrupt-checksum.parquet", 30836, 10240, 1216679186, false},
  };
  for (const PageCrc& page : pages) {
    std::vector<uint8_t> file = mimicit::testing::read_file_bytes(mimicit::testing::corpus_file(page.file));
    if (file.empty()) GTEST_SKIP() << "test data not found: " << page.file;
    ASSERT_LE(page.offset + page.size, file.size());
    uint32_t crc = crc32(ByteView(file).subspan(page.offset, page.size));
    EXPECT_EQ(crc == static_cast<uint32_t>(page.stored_crc), page.matches)
        << page.file << " @" << page.offset;
  }
}

}  // namespace
}  // namespace mimicit
