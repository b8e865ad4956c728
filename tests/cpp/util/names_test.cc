#include <gtest/gtest.h>

#include <set>
#include <string>

#include "inspect/parquet_cat.h"
#include "mimicit/convert.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/loader.h"
#include "mimicit/names.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/prompt.h"
#include "mimicit/validate.h"

namespace mimicit {
namespace {

enum class Fruit { kApple, kPear, kPlum };
constexpr NameTable<Fruit> kFruitNames{"fruit",
                                       {{Fruit::kApple, "apple", "red"},
                                        {Fruit::kPear, "pear"},
                                        {Fruit::kPlum, "plum"},
                                        {Fruit::kPear, "poire"}}};
constexpr NameTable<Fruit> kAnyCaseFruitNames{"fruit", {{Fruit::kApple, "apple"}}, NameCase::kIgnore};

TEST(Names, ParsesEveryNameAndPrintsTheFirstOfEachValue) {
  EXPECT_EQ(kFruitNames.parse("apple"), Fruit::kApple);
  EXPECT_EQ(kFruitNames.parse("poire"), Fruit::kPear);
  EXPECT_STREQ(kFruitNames.name(Fruit::kPear), "pear");
  EXPECT_STREQ(kFruitNames.name(static_cast<Fruit>(9)), "?");
  EXPECT_EQ(kFruitNames.names(), "apple, pear, plum, poire");
  EXPECT_EQ(kFruitNames.names(" or "), "apple, pear, plum or poire");
  EXPECT_EQ(kFruitNames.size(), 4u);
  EXPECT_STREQ(kFruitNames.begin()->help, "red");
}

TEST(Names, ComparesExactlyUnlessTheTableIgnoresCase) {
  EXPECT_FALSE(kFruitNames.find("Apple"));
  EXPECT_FALSE(kFruitNames.find("appl"));
  EXPECT_FALSE(kFruitNames.find(""));
  EXPECT_EQ(kAnyCaseFruitNames.find("APPLE"), Fruit::kApple);
  EXPECT_FALSE(kAnyCaseFruitNames.find("APPLES"));
}

TEST(Names, AnUnknownNameIsAnInvalidArgumentListingTheNames) {
  try {
    kFruitNames.parse("kiwi");
    FAIL() << "parsed kiwi";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message(), "unknown fruit 'kiwi' (expected apple, pear, plum, poire)");
  }
}

// Every name of a table parses to its value, the printed name of that value
// parses back to it, every name is distinct, and a bad name's error lists
// every name.
template <typename Enum>
void expect_round_trip(const NameTable<Enum>& table) {
  SCOPED_TRACE(table.what());
  ASSERT_GT(table.size(), 0u);
  std::set<std::string> seen;
  for (const NameEntry<Enum>& entry : table) {
    EXPECT_TRUE(seen.insert(entry.name).second) << "twice: " << entry.name;
    EXPECT_EQ(table.parse(entry.name), entry.value) << entry.name;
    EXPECT_EQ(table.parse(table.name(entry.value)), entry.value) << entry.name;
    EXPECT_NE(table.names().find(entry.name), std::string::npos);
  }
  try {
    table.parse("no such name");
    ADD_FAILURE() << "parsed a bad name";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(e.message().find(table.names()), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(table.what()), std::string::npos) << e.message();
  }
}

TEST(Names, EveryTableRoundTrips) {
  expect_round_trip(parquet::kCodecNames);
  expect_round_trip(convert::kReencodeNames);
  expect_round_trip(convert::kPayloadNames);
  expect_round_trip(kPayloadKindNames);
  expect_round_trip(image::kImageFormatNames);
  expect_round_trip(dataset::kGroupNames);
  expect_round_trip(dataset::kInstructionFormatNames);
  expect_round_trip(dataset::kPythonUnicodeNames);
  expect_round_trip(loader::kDTypeNames);
  expect_round_trip(loader::kOnErrorNames);
  expect_round_trip(validate::kKindNames);
  expect_round_trip(inspect::kCatFormatNames);
}

TEST(Names, TablesListEveryValueOfTheirEnum) {
  for (dataset::Group group : dataset::kAllGroups) EXPECT_STRNE(dataset::kGroupNames.name(group), "?");
  for (validate::Kind kind : validate::kAllKinds) EXPECT_STRNE(validate::kKindNames.name(kind), "?");
  EXPECT_EQ(validate::kKindNames.size(), validate::kNumKinds);
  EXPECT_STREQ(validate::kind_name(validate::Kind::kTinyImage), "tiny_image");
  EXPECT_STREQ(dataset::python_unicode_name(dataset::PythonUnicode::kPython39), "3.9");
  EXPECT_EQ(dataset::parse_python_unicode("3.10"), dataset::PythonUnicode::kPython39);
  EXPECT_EQ(parquet::kCodecNames.parse("ZSTD"), parquet::Codec::ZSTD);
  EXPECT_EQ(parquet::kCodecNames.parse("uncompressed"), parquet::Codec::UNCOMPRESSED);
  EXPECT_STREQ(parquet::kCodecNames.name(parquet::Codec::UNCOMPRESSED), "none");
}

}  // namespace
}  // namespace mimicit
