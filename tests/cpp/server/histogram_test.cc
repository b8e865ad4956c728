// write_histogram: round bin widths from the minimum to the 99th
// percentile, one open-ended bin above, quantiles, empty input.
#include <gtest/gtest.h>

#include "server/stats.h"
#include "util/json_writer.h"

namespace mimicit::server {
namespace {

std::string histogram(std::vector<uint32_t> values) {
  JsonWriter json;
  write_histogram(json, std::move(values));
  return json.take();
}

TEST(Histogram, Empty) { EXPECT_EQ(histogram({}), R"({"n":0,"bins":[]})"); }

TEST(Histogram, OneValue) {
  EXPECT_EQ(histogram({7}),
            R"({"n":1,"min":7,"median":7,"p90":7,"p99":7,"max":7,"bins":[{"lo":7,"hi":7,"count":1}]})");
}

TEST(Histogram, RoundWidthsAndAnOpenLastBin) {
  std::vector<uint32_t> values;
  for (uint32_t v = 0; v < 1000; ++v) values.push_back(v % 100);  // 0..99, ten times each
  values.push_back(100000);                                       // past the 99th percentile
  const std::string json = histogram(values);
  // 100 values over 25 bins: width 5 (1, 2, 5, 10, ...), first bin at 0.
  EXPECT_NE(json.find(R"("bins":[{"lo":0,"hi":4,"count":50},{"lo":5,"hi":9,"count":50})"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"({"lo":95,"hi":99,"count":50},{"lo":100,"hi":null,"count":1}]})"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("n":1001,"min":0,"median":50,"p90":90,"p99":99,"max":100000)"), std::string::npos)
      << json;
}

}  // namespace
}  // namespace mimicit::server
