#include "mimicit/store_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mimicit/error.h"
#include "store/open_store.h"
#include "test_data.h"

namespace mimicit {
namespace {

namespace fs = std::filesystem;
using Images = std::map<std::string, std::string>;  // id -> file bytes

// A folder store: one .png file per id (the store never decodes them).
fs::path write_folder(const fs::path& dir, const Images& images) {
  fs::create_directories(dir);
  for (const auto& [id, bytes] : images) std::ofstream(dir / (id + ".png"), std::ios::binary) << bytes;
  return dir;
}

// The index a folder store saves beside itself once it has been opened.
bool opened(const fs::path& folder) { return fs::exists(folder / ".mimicit-index"); }

std::string get_string(const StoreGroup& group, std::string_view id) {
  Buffer out;
  group.get(id, out);
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

TEST(StoreCacheTest, OpensEachStoreWhenALookupFirstNeedsIt) {
  const fs::path dir = testing::temp_dir("store_cache_lazy");
  const fs::path a = write_folder(dir / "a", {{"x", "ax"}, {"only_a", "a1"}});
  const fs::path b = write_folder(dir / "b", {{"x", "bx"}, {"only_b", "b1"}});
  StoreCache cache;
  StoreGroup group = cache.group({a.string(), b.string()});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(opened(a));
  EXPECT_FALSE(opened(b));

  // The last store answers: the first is not opened.
  EXPECT_EQ(get_string(group, "only_b"), "b1");
  EXPECT_TRUE(opened(b));
  EXPECT_FALSE(opened(a));
  EXPECT_EQ(get_string(group, "only_a"), "a1");
  EXPECT_TRUE(opened(a));
}

TEST(StoreCacheTest, SharesOneStoreByCanonicalPath) {
  const fs::path dir = testing::temp_dir("store_cache_shared");
  const fs::path a = write_folder(dir / "a", {{"x", "ax"}});
  fs::create_directories(dir / "sub");
  fs::create_directory_symlink(a, dir / "link");
  StoreCache cache;
  std::shared_ptr<const ImageStore> first = cache.open(a.string());
  EXPECT_EQ(cache.open((dir / "sub" / ".." / "a").string()), first);
  EXPECT_EQ(cache.open((dir / "a" / "").string()), first);
  EXPECT_EQ(cache.open((dir / "link").string()), first);
  StoreGroup group = cache.group({(dir / "link").string(), (dir / "." / "a").string()});
  EXPECT_EQ(&group.store(0), first.get());
  EXPECT_EQ(&group.store(1), first.get());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(group.path(0), (dir / "link").string());  // as given
  EXPECT_EQ(group.distinct_ids(), 1u);

  // Another cache is another set of opens (and perhaps other options).
  StoreCache other({.index_pages = false});
  EXPECT_NE(other.open(a.string()), first);
  EXPECT_FALSE(other.options().index_pages);
}

TEST(StoreCacheTest, TheLastStoreHoldingAnIdWins) {
  const fs::path dir = testing::temp_dir("store_cache_last_wins");
  const std::string a = write_folder(dir / "a", {{"x", "ax"}, {"y", "ay"}}).string();
  const std::string b = write_folder(dir / "b", {{"x", "bx"}, {"z", "bz"}}).string();
  StoreCache cache;
  StoreGroup ab = cache.group({a, b});
  StoreGroup ba = cache.group({b, a});
  EXPECT_EQ(get_string(ab, "x"), "bx");
  EXPECT_EQ(get_string(ba, "x"), "ax");
  EXPECT_EQ(ab.find("x"), &ab.store(1));
  EXPECT_EQ(ab.find("y"), &ab.store(0));
  EXPECT_EQ(ab.find("w"), nullptr);
  EXPECT_TRUE(ab.contains("z"));
  EXPECT_EQ(ab.distinct_ids(), 3u);
  EXPECT_EQ(cache.size(), 2u);

  try {
    get_string(ab, "w");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("'w'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("2 image stores"), std::string::npos) << e.message();
  }
  try {
    get_string(cache.group({a}), "w");
    FAIL() << "no error";
  } catch (const Error& e) {  // the store's own error, naming its folder
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find(a), std::string::npos) << e.message();
  }
  StoreGroup none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.find("x"), nullptr);
  EXPECT_EQ(none.distinct_ids(), 0u);
  EXPECT_THROW(get_string(none, "x"), Error);
}

TEST(StoreCacheTest, AFailedOpenIsKeptAndNotRetried) {
  const fs::path dir = testing::temp_dir("store_cache_failed");
  const std::string missing = (dir / "missing").string();
  const std::string b = write_folder(dir / "b", {{"in_b", "b1"}}).string();
  StoreCache cache;
  StoreGroup group = cache.group({missing, b});
  EXPECT_EQ(get_string(group, "in_b"), "b1");  // answered before the broken store
  auto expect_failure = [&](auto&& call) {
    try {
      call();
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kIo);
      EXPECT_NE(e.message().find(missing), std::string::npos) << e.message();
    }
  };
  expect_failure([&] { group.find("elsewhere"); });
  expect_failure([&] { group.open_all(); });
  expect_failure([&] { group.distinct_ids(); });
  // The store appears: the cache still holds the first failure.
  write_folder(missing, {{"elsewhere", "m"}});
  expect_failure([&] { cache.open(missing); });
  EXPECT_EQ(get_string(StoreCache().group({missing}), "elsewhere"), "m");
}

TEST(StoreCacheTest, CacheDirTakesTheIndexOfAReadOnlyStoreFolder) {
  const fs::path dir = testing::temp_dir("store_cache_cache_dir");
  const fs::path a = write_folder(dir / "a", {{"x", "ax"}});
  // A folder in the way of the index file: like a read-only store folder
  // (which root, running the tests, could still write).
  fs::create_directories(a / ".mimicit-index");
  const fs::path cache_dir = dir / "cache";
  ImageStoreOptions options;
  options.cache_dir = cache_dir.string();
  StoreCache cache(options);
  EXPECT_EQ(cache.options().cache_dir, cache_dir.string());
  EXPECT_EQ(get_string(cache.group({a.string()}), "x"), "ax");
  ASSERT_TRUE(fs::is_directory(cache_dir));
  size_t indexes = 0;
  for (const auto& entry : fs::directory_iterator(cache_dir)) {
    indexes += entry.path().string().ends_with(".mimicit-index");
  }
  EXPECT_EQ(indexes, 1u);
  // Opened with those options again, the store maps the saved index.
  store::OpenReport report;
  store::open_store({a.string()}, options, &report);
  EXPECT_TRUE(report.used_saved_index);
  EXPECT_EQ(fs::path(report.index_path).parent_path(), cache_dir);
}

// Run under TSan by scripts/test.sh (its filter takes *Concurrent*).
TEST(StoreCacheTest, ConcurrentLookupsShareOneOpenPerStore) {
  const fs::path dir = testing::temp_dir("store_cache_concurrent");
  constexpr int kStores = 3;
  constexpr int kIds = 40;
  std::vector<std::string> paths;
  for (int s = 0; s < kStores; ++s) {
    Images images;
    for (int i = s; i < kIds; i += 1 + s) images["id" + std::to_string(i)] = "s" + std::to_string(s);
    paths.push_back(write_folder(dir / ("s" + std::to_string(s)), images).string());
  }
  // Id i resolves to the last store holding it: the largest s with (i - s) % (1 + s) == 0.
  auto expected = [&](int i) {
    for (int s = kStores - 1; s >= 0; --s) {
      if (i >= s && (i - s) % (1 + s) == 0) return "s" + std::to_string(s);
    }
    return std::string();
  };

  StoreCache cache;
  const StoreGroup group = cache.group(paths);
  std::vector<std::thread> threads;
  std::vector<std::vector<const ImageStore*>> seen(8);
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Buffer out;
      for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < kIds; ++i) {
          const int id = (i * 7 + t) % kIds;
          const std::string name = "id" + std::to_string(id);
          group.get(name, out);
          if (std::string(reinterpret_cast<const char*>(out.data()), out.size()) != expected(id)) ++wrong;
        }
      }
      for (const std::string& path : paths) seen[t].push_back(cache.open(path).get());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  for (int t = 0; t < 8; ++t) {
    for (int s = 0; s < kStores; ++s) EXPECT_EQ(seen[t][s], &group.store(s)) << "thread " << t;
  }
  EXPECT_EQ(cache.size(), static_cast<size_t>(kStores));
}

}  // namespace
}  // namespace mimicit
