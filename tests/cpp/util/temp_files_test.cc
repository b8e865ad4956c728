// Temporaries of killed writers (mimicit/file.h): the next writer of the
// same path removes the unlocked ones and nothing else.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mimicit/file.h"
#include "test_data.h"

namespace mimicit {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& path) { std::ofstream(path) << "partial"; }

TEST(TempFiles, NextWriterRemovesTheLeftoversOfAKilledOne) {
  fs::path dir = testing::temp_dir("stale_temps");
  const std::string target = (dir / "index").string();
  touch(target + ".tmp-123-0");                      // a killed AtomicFileWriter's file
  fs::create_directories(target + ".tmp-77-3/sub");  // a killed convert's folder
  touch(target + ".tmp-77-3/sub/part.0.parquet");
  // Not ours: other patterns, other targets.
  fs::create_directories(target + ".tmp-dask-0123abcd");
  touch(target + ".tmp-1");
  touch(target + "x.tmp-5-6");
  touch(dir / "other.tmp-5-6");
  // A live writer's temporary: locked through another open file.
  touch(target + ".tmp-9-9");
  int held = ::open((target + ".tmp-9-9").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);

  AtomicFileWriter writer(target);
  const std::string bytes = "complete";
  writer.write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  writer.commit();

  EXPECT_FALSE(fs::exists(target + ".tmp-123-0"));
  EXPECT_FALSE(fs::exists(target + ".tmp-77-3"));
  EXPECT_TRUE(fs::exists(target + ".tmp-9-9"));
  for (const char* kept : {".tmp-dask-0123abcd", ".tmp-1", "x.tmp-5-6"})
    EXPECT_TRUE(fs::exists(target + kept)) << kept;
  EXPECT_TRUE(fs::exists(dir / "other.tmp-5-6"));
  EXPECT_EQ(testing::read_file_bytes(target).size(), bytes.size());

  ::close(held);  // its writer died
  remove_stale_temporaries(target);
  EXPECT_FALSE(fs::exists(target + ".tmp-9-9"));
  fs::remove_all(dir);
}

TEST(TempFiles, LockedTempDirIsKeptWhileItLives) {
  fs::path dir = testing::temp_dir("locked_temp_dir");
  const std::string target = (dir / "out").string();
  std::string path;
  {
    LockedTempDir temp(target);
    path = temp.path();
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_TRUE(path.starts_with(target + ".tmp-"));
    remove_stale_temporaries(target);
    EXPECT_TRUE(fs::is_directory(path));
  }
  remove_stale_temporaries(target);  // its owner is gone
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mimicit
