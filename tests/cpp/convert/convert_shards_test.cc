// Storage ranges and the sharded conversion: the pieces cover storage
// order exactly, and shards run in any order (twice, after a failure) then
// merged give the bytes convert_images writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/convert.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/writer.h"
#include "store/storage_ranges.h"
#include "test_data.h"

namespace mimicit {
namespace {

namespace fs = std::filesystem;

// Deterministic pseudo-image bytes (nothing here decodes them).
std::string image_bytes(int i) {
  std::string bytes = "\x89PNG" + std::to_string(i);
  uint32_t state = static_cast<uint32_t>(i) * 2654435761u;
  while (bytes.size() < 30 + static_cast<size_t>(i % 40) * 11) {
    state = state * 1664525u + 1013904223u;
    bytes.push_back(static_cast<char>(state >> 24));
  }
  return bytes;
}

// A pandas-layout file holding ids in scrambled order, `rows_per_group`
// rows per row group.
void write_pandas(const fs::path& path, const std::vector<int>& numbers, int64_t rows_per_group) {
  parquet::WriterOptions options;
  options.row_group_rows = rows_per_group;
  options.page_rows = 5;
  options.pandas_index_column = "__index_level_0__";
  parquet::ParquetWriter writer(path.string(),
                                {{.name = "base64", .is_string = true, .dictionary = false},
                                 {.name = "__index_level_0__", .is_string = true}},
                                options);
  for (int i : numbers) {
    writer.append_bytes(0, base64_encode(as_bytes(image_bytes(i))));
    writer.append_bytes(1, "LA_IMG_" + std::to_string(i * 7919 % 1000));
    writer.end_row();
  }
  writer.close();
}

// Two Parquet files (several row groups each) and a legacy JSON with a bad
// payload: storage order is not sorted, so convert_images goes through
// its shard and merge too.
std::vector<std::string> write_sources(const fs::path& dir) {
  std::vector<int> first, second;
  for (int i = 0; i < 90; ++i) first.push_back(i);
  for (int i = 60; i < 130; ++i) second.push_back(i);  // 30 ids again: last wins
  write_pandas(dir / "a.parquet", first, 20);
  write_pandas(dir / "b.parquet", second, 32);
  std::ofstream json(dir / "images.json");
  json << "{";
  for (int i = 200; i < 240; ++i) {
    json << "\"LA_IMG_J" << i << "\": \"" << base64_encode(as_bytes(image_bytes(i))) << "\", ";
  }
  json << "\"LA_IMG_bad\": \"@@@ not base64 @@@\"}";
  json.close();
  return {(dir / "a.parquet").string(), (dir / "b.parquet").string(), (dir / "images.json").string()};
}

std::map<std::string, std::string> folder_bytes(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::vector<uint8_t> bytes = testing::read_file_bytes(entry.path());
    files[entry.path().filename().string()] = std::string(bytes.begin(), bytes.end());
  }
  return files;
}

using Walk = std::vector<std::pair<std::string, size_t>>;

Walk walk_all(const ImageStore& store) {
  Walk walk;
  store.for_each_in_storage_order([&](std::string_view id, size_t rank) {
    walk.emplace_back(id, rank);
    return true;
  });
  return walk;
}

TEST(StorageRangesTest, CoverStorageOrderWithoutSpanningFilesOrSplittingSmallRowGroups) {
  fs::path dir = testing::temp_dir("storage_ranges");
  auto store = ImageStore::open(write_sources(dir));
  for (uint64_t size : {1, 7, 20, 45, 64, 1000}) {
    std::vector<StorageRange> ranges = cut_storage_order(*store, size);
    Walk pieces;
    for (const StorageRange& r : ranges) {
      uint64_t images = 0;
      std::vector<uint32_t> files;
      std::vector<uint64_t> blocks;
      store->for_each_in_storage_range(
          r.begin, r.end, [&](std::string_view id, size_t rank, StoragePlace place, uint64_t block) {
            pieces.emplace_back(id, rank);
            files.push_back(place.file);
            blocks.push_back(block);
            ++images;
            return true;
          });
      EXPECT_EQ(images, r.images);
      ASSERT_FALSE(files.empty());
      EXPECT_EQ(std::count(files.begin(), files.end(), files[0]), static_cast<long>(files.size()))
          << "spans files";
      // Row groups of 20 and 32 rows under a size of 45 or 64 stay whole.
      if ((size == 45 || size == 64) && files[0] < 2) {
        auto count = [&](uint64_t b) {
          uint64_t n = 0;
          store->for_each_in_storage_range({}, StoragePlace::end(),
                                           [&](std::string_view, size_t, StoragePlace p, uint64_t block) {
                                             n += p.file == files[0] && block == b;
                                             return true;
                                           });
          return n;
        };
        auto in_range = [&](uint64_t b) {
          return static_cast<uint64_t>(std::count(blocks.begin(), blocks.end(), b));
        };
        EXPECT_EQ(in_range(blocks.front()), count(blocks.front()));
        EXPECT_EQ(in_range(blocks.back()), count(blocks.back()));
      }
    }
    EXPECT_EQ(pieces, walk_all(*store)) << "range size " << size;
  }
  EXPECT_TRUE(cut_storage_order(*store, 1000).size() == 3);  // one per file
  EXPECT_EQ(range_size_for(10, 3), 4u);
  EXPECT_EQ(range_size_for(0, 3), 1u);
  fs::remove_all(dir);
}

convert::ConvertOptions options_for(const std::vector<std::string>& sources, const fs::path& out) {
  convert::ConvertOptions options;
  options.sources = sources;
  options.out = out.string();
  options.max_partition_bytes = 16 << 10;  // several parts
  options.threads = 2;
  options.progress = false;
  return options;
}

TEST(ConvertShardsTest, ShardsInAnyOrderMergeToTheSingleMachineBytes) {
  fs::path dir = testing::temp_dir("convert_shards");
  std::vector<std::string> sources = write_sources(dir);
  convert::ConvertReport single = convert::convert_images(options_for(sources, dir / "single"));
  EXPECT_EQ(single.dropped, 1u);
  EXPECT_EQ(single.duplicates, 30u);
  EXPECT_GT(single.partitions, 1u);

  convert::ConvertOptions options = options_for(sources, dir / "sharded");
  convert::ConvertPlan plan = convert::plan_convert(options, 25);
  ASSERT_GT(plan.shards.size(), 4u);
  fs::path work = dir / "sharded.tmp-work";
  fs::create_directories(work);
  for (auto it = plan.shards.rbegin(); it != plan.shards.rend(); ++it) {
    EXPECT_FALSE(convert::convert_shard(options, *it, work.string()).reused);
  }
  convert::ShardReport again = convert::convert_shard(options, plan.shards[1], work.string());
  EXPECT_TRUE(again.reused);  // a rerun task finds it done
  convert::ConvertReport merged = convert::merge_shards(options, plan, work.string());
  EXPECT_EQ(merged.images, single.images);
  EXPECT_EQ(merged.dropped, single.dropped);
  EXPECT_EQ(merged.bytes_in, single.bytes_in);
  EXPECT_EQ(merged.bytes_out, single.bytes_out);
  EXPECT_EQ(folder_bytes(dir / "sharded"), folder_bytes(dir / "single"));
  EXPECT_FALSE(fs::exists(work));
  fs::remove_all(dir);
}

// The merge one task per part: parts written in any order, one twice, by
// separate calls (as separate processes would), give the single-machine
// folder, for several part sizes.
TEST(ConvertShardsTest, PartsWrittenInAnyOrderGiveTheSingleMachineBytes) {
  fs::path dir = testing::temp_dir("convert_parts");
  std::vector<std::string> sources = write_sources(dir);
  for (uint64_t part_bytes : {uint64_t{12} << 10, uint64_t{40} << 10, uint64_t{1} << 30}) {
    convert::ConvertOptions single_options = options_for(sources, dir / "single");
    single_options.max_partition_bytes = part_bytes;
    convert::ConvertReport single = convert::convert_images(single_options);

    // The previous round's output: untouched until the commit.
    std::map<std::string, std::string> before;
    if (fs::exists(dir / "parts")) before = folder_bytes(dir / "parts");
    convert::ConvertOptions options = options_for(sources, dir / "parts");
    options.max_partition_bytes = part_bytes;
    convert::ConvertPlan plan = convert::plan_convert(options, 0, 5);
    fs::path work = dir / "parts.tmp-work";
    fs::create_directories(work);
    for (const convert::ConvertShard& shard : plan.shards)
      convert::convert_shard(options, shard, work.string());
    convert::MergePlan merge = convert::plan_parts(options, plan, work.string());
    ASSERT_EQ(merge.parts.size(), single.partitions) << part_bytes;
    EXPECT_EQ(merge.kept, single.images);
    EXPECT_EQ(merge.dropped, single.dropped);
    EXPECT_EQ(merge.parts.front().first_rank, 0u);
    EXPECT_EQ(merge.parts.back().end_rank, plan.images);
    for (size_t i = merge.parts.size(); i-- > 0;) {
      convert::PartReport part =
          convert::convert_part(options, merge, static_cast<uint32_t>(i), work.string());
      EXPECT_FALSE(part.reused);
      EXPECT_EQ(part.rows, merge.parts[i].rows);
      if (i > 0) {
        EXPECT_EQ(merge.parts[i].first_rank, merge.parts[i - 1].end_rank);
      }
    }
    EXPECT_TRUE(convert::convert_part(options, merge, 0, work.string()).reused);  // a rerun task
    EXPECT_EQ(fs::exists(dir / "parts") ? folder_bytes(dir / "parts") : decltype(before)(), before);
    convert::ConvertReport report = convert::commit_parts(options, merge, work.string());
    EXPECT_EQ(report.images, single.images);
    EXPECT_EQ(report.partitions, single.partitions);
    EXPECT_EQ(report.bytes_out, single.bytes_out);
    EXPECT_EQ(folder_bytes(dir / "parts"), folder_bytes(dir / "single")) << part_bytes;
    EXPECT_FALSE(fs::exists(work));
  }
  fs::remove_all(dir);
}

// A part task that fails half-way (a shard's values cut short after the
// part plan) leaves neither its part nor its private folder, and the
// commit refuses to publish the incomplete output.
TEST(ConvertShardsTest, AFailedPartLeavesNothingAndCommitsNothing) {
  fs::path dir = testing::temp_dir("convert_parts_failed");
  std::vector<std::string> sources = write_sources(dir);
  convert::ConvertOptions options = options_for(sources, dir / "out");
  options.max_partition_bytes = uint64_t{1} << 30;  // one part reading every shard
  convert::ConvertPlan plan = convert::plan_convert(options, 0, 4);
  fs::path work = dir / "out.tmp-work";
  fs::create_directories(work);
  for (const convert::ConvertShard& shard : plan.shards)
    convert::convert_shard(options, shard, work.string());
  convert::MergePlan merge = convert::plan_parts(options, plan, work.string());
  ASSERT_EQ(merge.parts.size(), 1u);
  fs::path values = work / fmt::format("shard-{:05}", plan.shards.back().index) / "values";
  fs::resize_file(values, fs::file_size(values) / 2);
  try {
    convert::convert_part(options, merge, 0, work.string());
    ADD_FAILURE() << "wrote a part from a cut shard";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.message();
  }
  EXPECT_FALSE(fs::exists(work / "output" / "part.0.parquet"));
  for (const auto& entry : fs::directory_iterator(work)) {
    EXPECT_EQ(entry.path().filename().string().find(".part-"), std::string::npos) << entry.path();
  }
  EXPECT_THROW(convert::commit_parts(options, merge, work.string()), Error);
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

TEST(ConvertShardsTest, MissingShardOrFolderFailsAndCommitsNothing) {
  fs::path dir = testing::temp_dir("convert_shards_missing");
  std::vector<std::string> sources = write_sources(dir);
  convert::ConvertOptions options = options_for(sources, dir / "out");
  convert::ConvertPlan plan = convert::plan_convert(options, 0, 4);
  ASSERT_GE(plan.shards.size(), 3u);
  fs::path work = dir / "out.tmp-work";
  // A cancelled run's folder is gone: a late task must not recreate it.
  EXPECT_THROW(convert::convert_shard(options, plan.shards[0], work.string()), Error);
  EXPECT_FALSE(fs::exists(work));
  fs::create_directories(work);
  for (size_t i = 0; i + 1 < plan.shards.size(); ++i)
    convert::convert_shard(options, plan.shards[i], work.string());
  try {
    convert::merge_shards(options, plan, work.string());
    ADD_FAILURE() << "merged without the last shard";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find(fmt::format("shard-{:05}", plan.shards.back().index)), std::string::npos)
        << e.message();
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(work / "output"));
  // The shards done survive for a retry of the merge.
  convert::convert_shard(options, plan.shards.back(), work.string());
  convert::ConvertReport report = convert::merge_shards(options, plan, work.string());
  EXPECT_EQ(report.images + report.dropped, plan.images);
  EXPECT_TRUE(fs::exists(dir / "out" / "part.0.parquet"));
  fs::remove_all(dir);
}

TEST(ConvertShardsTest, APlanForOtherFilesIsRefused) {
  fs::path dir = testing::temp_dir("convert_shards_changed");
  std::vector<std::string> sources = write_sources(dir);
  convert::ConvertOptions options = options_for(sources, dir / "out");
  convert::ConvertPlan plan = convert::plan_convert(options, 50);
  write_pandas(dir / "b.parquet", {60, 61, 62}, 32);  // the store changes after the plan
  fs::path work = dir / "out.tmp-work";
  fs::create_directories(work);
  EXPECT_THROW(convert::convert_shard(options, plan.shards[0], work.string()), Error);
  EXPECT_TRUE(fs::is_empty(work));  // no half-written shard left
  fs::remove_all(dir);
}

TEST(ConvertShardsTest, EmptyPlanForAnEmptyStoreStillWritesAStore) {
  fs::path dir = testing::temp_dir("convert_shards_empty");
  std::ofstream(dir / "images.json") << "{}";
  convert::ConvertOptions options = options_for({(dir / "images.json").string()}, dir / "out");
  convert::ConvertPlan plan = convert::plan_convert(options, 10);
  EXPECT_TRUE(plan.shards.empty());
  fs::create_directories(dir / "work");
  convert::ConvertReport report = convert::merge_shards(options, plan, (dir / "work").string());
  EXPECT_EQ(report.partitions, 1u);
  EXPECT_TRUE(fs::exists(dir / "out" / "part.0.parquet"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mimicit
