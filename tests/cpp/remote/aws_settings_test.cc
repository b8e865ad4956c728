// AWS settings found as the AWS CLI finds them: environment first, then the
// profile of ~/.aws/credentials and ~/.aws/config (here: files named by
// AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE).
#include "remote/aws_settings.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace mimicit::remote {
namespace {

class AwsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("aws-settings-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                             "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE",
                             "AWS_S3_ADDRESSING_STYLE"})
      ::unsetenv(name);
    write(
        "credentials",
        "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defaultsecret\n\n"
        "[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\naws_session_token = tok\n");
    write("config",
          "[default]\nregion = eu-west-1\n\n"
          "[profile work]\nregion = us-west-2\ns3 =\n  endpoint_url = http://127.0.0.1:9000/\n"
          "  addressing_style = virtual\n");
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").c_str(), 1);
    ::setenv("AWS_CONFIG_FILE", (dir_ / "config").c_str(), 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(AwsSettingsTest, DefaultProfileAndAwsEndpoint) {
  const AwsSettings s = load_aws_settings();
  EXPECT_EQ(s.credentials.access_key_id, "DEFAULTKEY");
  EXPECT_EQ(s.credentials.secret_access_key, "defaultsecret");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(s.path_style);
}

TEST_F(AwsSettingsTest, NamedProfileWithItsS3Block) {
  ::setenv("AWS_PROFILE", "work", 1);
  const AwsSettings s = load_aws_settings();
  EXPECT_EQ(s.credentials.access_key_id, "WORKKEY");
  EXPECT_EQ(s.credentials.session_token, "tok");
  EXPECT_EQ(s.region, "us-west-2");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:9000");
  EXPECT_FALSE(s.path_style);  // the profile asks for virtual-hosted addressing
}

TEST_F(AwsSettingsTest, EnvironmentComesFirst) {
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  ::setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
  ::setenv("AWS_ENDPOINT_URL", "http://localhost:9000", 1);
  const AwsSettings s = load_aws_settings();
  EXPECT_EQ(s.credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(s.credentials.session_token, "");
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.endpoint, "http://localhost:9000");
  EXPECT_TRUE(s.path_style);  // any endpoint but AWS's: path-style
  ::setenv("AWS_ENDPOINT_URL_S3", "http://s3only:1", 1);
  ::setenv("AWS_S3_ADDRESSING_STYLE", "virtual", 1);
  const AwsSettings t = load_aws_settings();
  EXPECT_EQ(t.endpoint, "http://s3only:1");
  EXPECT_FALSE(t.path_style);
}

TEST_F(AwsSettingsTest, NoCredentialsMeansAnonymous) {
  ::setenv("AWS_PROFILE", "nobody", 1);
  const AwsSettings s = load_aws_settings();
  EXPECT_TRUE(s.credentials.anonymous());
  EXPECT_EQ(s.region, "us-east-1");
}

}  // namespace
}  // namespace mimicit::remote
