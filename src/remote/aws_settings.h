// Where an s3:// object is fetched from and with which credentials, found
// the way the AWS CLI and boto3 find them:
//   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
//     else the profile (AWS_PROFILE, else "default") of
//     AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then of
//     AWS_CONFIG_FILE (~/.aws/config, section "profile NAME" or "default");
//     none found: anonymous (unsigned) requests, for public buckets;
//   region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1;
//   endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//     `endpoint_url` (also under its `s3 =` block), else AWS's
//     https://s3.<region>.amazonaws.com;
//   addressing: virtual-hosted (bucket.host) on AWS, path-style (host/bucket)
//     on any other endpoint (MinIO, Ceph, moto...), as those servers expect;
//     AWS_S3_ADDRESSING_STYLE or the profile's s3 `addressing_style`
//     (path, virtual) overrides.
#pragma once

#include <map>
#include <string>

#include "remote/aws_sigv4.h"

namespace mimicit::remote {

struct AwsSettings {
  AwsCredentials credentials;
  std::string region = "us-east-1";
  std::string endpoint;  // scheme://host[:port], no trailing '/'
  bool path_style = false;
};

// Reads the environment and the AWS files now (cheap; callers cache).
AwsSettings load_aws_settings();

// An INI file as the AWS tools write it: {section: {key: value}}; keys of a
// nested block ("s3 =" followed by indented lines) become "s3.key".
// A missing file is empty.
std::map<std::string, std::map<std::string, std::string>> read_aws_ini(const std::string& path);

}  // namespace mimicit::remote
