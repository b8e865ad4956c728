// The viewer's request helpers: counts, the Host check, image types.
#include <gtest/gtest.h>

#include "mimicit/image.h"
#include "server/http_util.h"

namespace mimicit::server {
namespace {

TEST(HttpUtil, ParseCountAcceptsDigitsOnly) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("20"), 20u);
  EXPECT_EQ(parse_count("999999999999999999"), 999999999999999999u);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "9999999999999999999", "1.0", "abc"}) {
    EXPECT_FALSE(parse_count(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_count(std::string_view("1\0", 2)).has_value());
}

TEST(HttpUtil, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "192.168.1.2", "::", "127.example.com", "localhost.evil", ""}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(HttpUtil, HostNames) {
  EXPECT_EQ(host_name("127.0.0.1:8000"), "127.0.0.1");
  EXPECT_EQ(host_name("LocalHost:80"), "localhost");
  EXPECT_EQ(host_name("[::1]:8000"), "::1");
  EXPECT_EQ(host_name("[::1]"), "::1");
  EXPECT_EQ(host_name("example.com"), "example.com");
}

TEST(HttpUtil, OnLoopbackOnlyLoopbackNamesAreAnswered) {
  EXPECT_TRUE(host_allowed("127.0.0.1:8000", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("localhost:8000", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("[::1]:8000", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("", "127.0.0.1"));
  EXPECT_FALSE(host_allowed("evil.example", "127.0.0.1"));
  EXPECT_FALSE(host_allowed("evil.example:8000", "localhost"));
  EXPECT_FALSE(host_allowed("127.0.0.1.evil.example", "127.0.0.1"));
  // Listening beyond loopback (the user asked for it): any name.
  EXPECT_TRUE(host_allowed("viewer.lan:8000", "0.0.0.0"));
}

TEST(HttpUtil, ImageContentTypes) {
  image::RgbImage rgb{2, 2, std::vector<uint8_t>(12, 200)};
  Buffer jpeg, png;
  image::encode_jpeg(rgb, jpeg);
  image::encode_png(rgb, png);
  EXPECT_STREQ(image_content_type(jpeg), "image/jpeg");
  EXPECT_STREQ(image_content_type(png), "image/png");
  EXPECT_STREQ(image_content_type(as_bytes("GIF89a....")), "image/gif");
  EXPECT_STREQ(image_content_type(as_bytes("<html><script>")), "application/octet-stream");
  EXPECT_STREQ(image_content_type(as_bytes("")), "application/octet-stream");
}

}  // namespace
}  // namespace mimicit::server
