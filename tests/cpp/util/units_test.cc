#include <gtest/gtest.h>

#include "mimicit/error.h"
#include "mimicit/units.h"

namespace mimicit {
namespace {

TEST(Units, ParsesSizesAsPeopleWriteThem) {
  EXPECT_EQ(parse_byte_size("1000000"), 1000000u);
  EXPECT_EQ(parse_byte_size("256MiB"), 256u << 20);
  EXPECT_EQ(parse_byte_size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(parse_byte_size("1.5 gib"), 3ull << 29);
  EXPECT_EQ(parse_byte_size("2GB"), 2000000000u);
  EXPECT_EQ(parse_byte_size("64k"), 65536u);
  EXPECT_EQ(parse_byte_size("10B"), 10u);
}

TEST(Units, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "GiB", "1.5XB", "-3MB", "1..5GB", "0", "abc", "99999999999TB"}) {
    EXPECT_THROW(parse_byte_size(bad), Error) << bad;
  }
}

TEST(Units, FormatsBytes) {
  EXPECT_EQ(format_bytes(17), "17 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ull << 29), "1.5 GiB");
}

}  // namespace
}  // namespace mimicit
