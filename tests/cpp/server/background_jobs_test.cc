// The viewer's background work: statistics and validation run on their own
// threads while other threads read their state; stop() before, during and
// after the work.
#include <atomic>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mimicit/image.h"
#include "server/background.h"
#include "server/catalog.h"
#include "server/stats.h"
#include "server/validation.h"
#include "test_data.h"

namespace mimicit::server {
namespace {

namespace fs = std::filesystem;

class BackgroundJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("server_background");
    fs::create_directories(dir_ / "images");
    std::string records;
    for (int i = 0; i < 300; ++i) {
      const std::string image = i == 7 ? "IMG_missing" : "IMG_" + std::to_string(i % 10);
      records +=
          fmt::format("{}\"R_{}\": {{\"instruction\": \"{}\", \"answer\": \"{}\", \"image_ids\": [\"{}\"]}}",
                      i ? "," : "", i, std::string(1 + i % 40, 'q'), std::string(1 + i % 3, 'a'), image);
    }
    for (int i = 0; i < 10; ++i) {
      image::RgbImage rgb{static_cast<uint32_t>(20 + i), 10,
                          std::vector<uint8_t>(size_t{20u + i} * 10 * 3, 99)};
      Buffer jpeg;
      image::encode_jpeg(rgb, jpeg);
      std::ofstream(dir_ / "images" / fmt::format("IMG_{}.jpg", i), std::ios::binary)
          .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
    }
    std::ofstream(dir_ / "r.json") << "{\"data\": {" << records << "}}";
    yaml_ = (dir_ / "data.yaml").string();
    std::ofstream(yaml_) << fmt::format(
        "IMAGE_TEXT:\n  R:\n    mimicit_path: {0}/r.json\n    images_path: {0}/images\n", dir_.string());
    Catalog::Options options;
    options.sample.parse.threads = 2;
    catalog_ = Catalog::open(yaml_, options);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string yaml_;
  std::shared_ptr<const Catalog> catalog_;
};

TEST_F(BackgroundJobsTest, StatisticsWhileReadersPoll) {
  StatsJob stats(catalog_, 1000, 50);
  EXPECT_NE(stats.json().find("\"state\":\"idle\""), std::string::npos);
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const std::string json = stats.json();
        if (json.find("\"state\":\"done\"") != std::string::npos) done = true;
      }
    });
  }
  stats.start();
  stats.start();  // once only
  for (auto& reader : readers) reader.join();
  const std::string json = stats.json();
  EXPECT_NE(json.find("\"records_sampled\":300"), std::string::npos) << json;
  // One image from every 6th record (300 / 50), so not R_7's missing one.
  EXPECT_NE(json.find("\"images_missing\":0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"images_probed\":50"), std::string::npos) << json;
  EXPECT_NE(json.find("\"instruction_chars\":{\"n\":300,\"min\":1,\"median\":19,"), std::string::npos)
      << json;
}

TEST_F(BackgroundJobsTest, ValidationFindingsBySample) {
  validate::Options options;
  options.threads = 2;
  ValidationJob job(catalog_, options, true);
  EXPECT_EQ(job.state(), "idle");
  job.start();
  while (job.state() == "running") std::this_thread::yield();
  ASSERT_EQ(job.state(), "done");
  const auto findings = job.findings(dataset::Group::kImageText, "R_7", {"IMG_missing"}, 10);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, "missing_image");
  EXPECT_EQ(findings[0].image_id, "IMG_missing");
  EXPECT_FALSE(findings[0].image_stored);
  EXPECT_TRUE(job.findings(dataset::Group::kImageText, "R_8", {"IMG_8"}, 10).empty());
  EXPECT_TRUE(job.findings(dataset::Group::kTextOnly, "R_7", {}, 10).empty());
  const std::string json = job.json(validate::Kind::kMissingImage, 0, 10);
  EXPECT_NE(json.find("\"total\":1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"linked\":true,\"image_stored\":false"), std::string::npos) << json;
  EXPECT_NE(job.json(std::nullopt, 5, 10).find("\"problems\":[]"), std::string::npos);
  job.stop();
  job.stop();
}

TEST_F(BackgroundJobsTest, DisabledAndStoppedJobs) {
  ValidationJob off(catalog_, {}, false);
  off.start();
  EXPECT_EQ(off.state(), "disabled");
  EXPECT_NE(off.json(std::nullopt, 0, 10).find("\"state\":\"disabled\""), std::string::npos);

  std::atomic<int> runs{0};
  BackgroundJob never([&](const std::atomic<bool>&) { ++runs; });
  never.stop();
  never.start();  // after stop(): does nothing
  EXPECT_FALSE(never.started());

  BackgroundJob interrupted([&](const std::atomic<bool>& stop) {
    ++runs;
    while (!stop.load()) std::this_thread::yield();
  });
  interrupted.start();
  interrupted.stop();  // sets the flag and joins
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace mimicit::server
