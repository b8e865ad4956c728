// ObjectWriter's checks that need no server (the uploads themselves run
// against moto in tests/python/test_object_storage_write.py).
#include "remote/object_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "mimicit/error.h"

namespace mimicit::remote {
namespace {

TEST(ObjectWriter, PartSizeFromTheEnvironmentIsAtLeastFiveMiB) {
  ::setenv("MIMICIT_S3_PART_SIZE", "1000", 1);
  ::setenv("MIMICIT_S3_UPLOADS", "0", 1);
  ObjectWriterOptions o = ObjectWriterOptions::from_environment();
  EXPECT_EQ(o.part_bytes, ObjectClient::kMinPartBytes);
  EXPECT_EQ(o.max_in_flight, 1);
  ::setenv("MIMICIT_S3_PART_SIZE", "67108864", 1);
  ::setenv("MIMICIT_S3_UPLOADS", "4", 1);
  o = ObjectWriterOptions::from_environment();
  EXPECT_EQ(o.part_bytes, uint64_t{64} << 20);
  EXPECT_EQ(o.max_in_flight, 4);
  ::unsetenv("MIMICIT_S3_PART_SIZE");
  ::unsetenv("MIMICIT_S3_UPLOADS");
}

TEST(ObjectWriter, HttpUrlsAreReadOnly) {
  ObjectClient client(AwsSettings{}, RetryPolicy{});
  try {
    ObjectWriter writer(client, parse_object_url("http://127.0.0.1:1/a/b"));
    FAIL() << "an http:// writer was created";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ObjectWriter(client, parse_object_url("s3://bucket")), Error);  // no key
}

TEST(ObjectWriter, AnUnusedWriterSendsNothing) {
  // Nothing written, nothing committed: the destructor has no upload to
  // abort and sends no request.
  ObjectClient client(AwsSettings{}, RetryPolicy{});
  { ObjectWriter writer(client, parse_object_url("s3://bucket/key")); }
  EXPECT_EQ(client.http().requests_sent(), 0u);
}

}  // namespace
}  // namespace mimicit::remote
