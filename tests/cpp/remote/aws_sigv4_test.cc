// Signature V4 against botocore's S3SigV4Auth: the expected signatures were
// computed by botocore 1.43 for the same request, credentials and time
// (2026-12-07T12:00:00Z), the way boto3 and the AWS CLI sign.
#include "remote/aws_sigv4.h"

#include <gtest/gtest.h>

#include "mimicit/error.h"

#include "remote/url.h"

namespace mimicit::remote {
namespace {

constexpr int64_t kTime = 1796644800;  // 2026-12-07T12:00:00Z
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignedRequest example() {
  SignedRequest r;
  r.method = "GET";
  r.host = "127.0.0.1:9000";
  r.path = "/my-bucket/dir/a b+c~.parquet";
  r.query = {{"uploadId", "x/y"}, {"partNumber", "1"}};
  r.payload_sha256 = kEmptySha;
  return r;
}

std::string header(const Headers& headers, const std::string& name) {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

TEST(AwsSigV4, MatchesBotocore) {
  const AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  const Headers h = sign_s3_request(example(), creds, "us-east-1", kTime);
  EXPECT_EQ(header(h, "x-amz-date"), "20261207T120000Z");
  EXPECT_EQ(header(h, "x-amz-content-sha256"), kEmptySha);
  EXPECT_EQ(header(h, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=237d3fb3f98074c4cf7e90ba37c6d743e177fdd10f1d67d05a627cacbb169dce");
}

TEST(AwsSigV4, SessionTokenIsSigned) {
  const AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SESSIONTOKEN/+="};
  const Headers h = sign_s3_request(example(), creds, "us-east-1", kTime);
  EXPECT_EQ(header(h, "x-amz-security-token"), "SESSIONTOKEN/+=");
  EXPECT_EQ(header(h, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
            "Signature=4e65bbb0a3f2f89bcef1a075e7385abbc0da4999bba9fda5b971358afcab8bf0");
}

TEST(AwsSigV4, AnonymousSendsNoSignature) {
  EXPECT_TRUE(sign_s3_request(example(), AwsCredentials{}, "us-east-1", kTime).empty());
}

TEST(AwsSigV4, TargetIsEncodedOnceAndSorted) {
  EXPECT_EQ(encoded_target(example()), "/my-bucket/dir/a%20b%2Bc~.parquet?partNumber=1&uploadId=x%2Fy");
}

TEST(ObjectUrl, Parses) {
  const ObjectUrl s3 = parse_object_url("s3://bucket/a/b.parquet");
  EXPECT_EQ(s3.scheme, Scheme::kS3);
  EXPECT_EQ(s3.bucket, "bucket");
  EXPECT_EQ(s3.key, "a/b.parquet");
  const ObjectUrl http = parse_object_url("http://127.0.0.1:8080/x/y.parquet");
  EXPECT_EQ(http.scheme, Scheme::kHttp);
  EXPECT_EQ(http.bucket, "127.0.0.1:8080");
  EXPECT_EQ(http.key, "x/y.parquet");
  EXPECT_TRUE(is_remote("https://h/k"));
  EXPECT_FALSE(is_remote("/data/s3:/x"));
  EXPECT_THROW(parse_object_url("s3:///key"), Error);
  EXPECT_THROW(parse_object_url("/local/file"), Error);
}

}  // namespace
}  // namespace mimicit::remote
