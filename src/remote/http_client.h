// HTTP requests over libcurl, with keep-alive and retries.
//
// HttpClient keeps a pool of curl handles (each keeps its connections
// alive), so concurrent requests from many threads run side by side and
// sequential ones reuse connections. send() retries what may succeed on a
// second try: transport failures (refused or reset connections, timeouts,
// bodies cut short of their Content-Length, stalled bodies), 5xx and 429
// (S3's SlowDown is a 503), with exponential backoff and full jitter. Other
// statuses (403, 404, 416, ...) return at once for the caller to judge.
// After the last attempt it throws Error(kIo) naming the URL, the status or
// transport error, and the number of attempts. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mimicit/bytes.h"
#include "remote/aws_sigv4.h"

namespace mimicit::remote {

struct RetryPolicy {
  int attempts = 6;                 // including the first
  double base_delay_seconds = 0.1;  // the n-th retry waits up to base * 2^n, jittered
  double max_delay_seconds = 8.0;
  long connect_timeout_seconds = 10;
  long stall_seconds = 30;  // a body that sends nothing for this long is a failure
  // The defaults, overridden by MIMICIT_REMOTE_ATTEMPTS, MIMICIT_REMOTE_BASE_DELAY
  // and MIMICIT_REMOTE_STALL_SECONDS when set.
  static RetryPolicy from_environment();
  // Sleeps before the retry that follows failed attempt `attempt` (1 for
  // the first): a random time up to base * 2^attempt, capped ("full
  // jitter", so that clients failing together do not retry together).
  void back_off(int attempt) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  ByteView body;  // PUT/POST body; must outlive send()
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  // The first header of that (lower-case) name, or "".
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(RetryPolicy policy = RetryPolicy::from_environment());
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `make_request` is called once per attempt (so a signature carries a
  // fresh date). Returns the first response that is not retried.
  HttpResponse send(const std::function<HttpRequest()>& make_request);

  const RetryPolicy& policy() const;

  // Requests sent and body bytes received so far (all attempts), for
  // benchmarks and tests.
  uint64_t requests_sent() const;
  uint64_t bytes_received() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicit::remote
