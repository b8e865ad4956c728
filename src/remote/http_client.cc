#include "remote/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "mimicit/error.h"
#include "remote/remote_counters.h"

namespace mimicit::remote {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  const std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  auto* headers = static_cast<Headers*>(user);
  if (line.starts_with("HTTP/")) headers->clear();  // a redirect's or a 100-continue's headers
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

struct ReadState {
  ByteView body;
  size_t offset = 0;
};

size_t on_read(char* out, size_t size, size_t count, void* user) {
  auto* state = static_cast<ReadState*>(user);
  const size_t n = std::min(size * count, state->body.size() - state->offset);
  std::copy_n(state->body.data() + state->offset, n, reinterpret_cast<uint8_t*>(out));
  state->offset += n;
  return n;
}

bool retryable_status(long status) { return status == 429 || status >= 500; }

double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atof(v) : fallback;
}

}  // namespace

RetryPolicy RetryPolicy::from_environment() {
  RetryPolicy p;
  p.attempts = std::max(1, static_cast<int>(env_number("MIMICIT_REMOTE_ATTEMPTS", p.attempts)));
  p.base_delay_seconds = env_number("MIMICIT_REMOTE_BASE_DELAY", p.base_delay_seconds);
  p.stall_seconds = static_cast<long>(env_number("MIMICIT_REMOTE_STALL_SECONDS", double(p.stall_seconds)));
  return p;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

struct HttpClient::Impl {
  RetryPolicy policy;
  std::mutex mutex;
  std::vector<CURL*> idle;
  std::atomic<uint64_t> requests{0}, bytes{0};

  CURL* take() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) fail(ErrorCode::kIo, "curl_easy_init failed");
    return h;
  }
  void give_back(CURL* h) {
    std::lock_guard lock(mutex);
    idle.push_back(h);
  }

  // One attempt: the response, or a transport error's text in `error`.
  HttpResponse attempt(const HttpRequest& request, std::string& error) {
    CURL* h = take();
    curl_easy_reset(h);
    HttpResponse response;
    ReadState upload{request.body};
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_slist* list = nullptr;
    for (const auto& [k, v] : request.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip before bodies
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, policy.connect_timeout_seconds);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, policy.stall_seconds);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      if (request.method == "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    ++requests;
    count(counters().requests);
    if (request.method == "HEAD") count(counters().heads);
    const CURLcode code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(list);
    bytes += response.body.size();
    count(counters().bytes, response.body.size());
    if (code != CURLE_OK) {
      error = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
      curl_easy_cleanup(h);  // its connection may be broken: do not reuse it
    } else {
      give_back(h);
    }
    return response;
  }
};

HttpClient::HttpClient(RetryPolicy policy) : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  impl_->policy = policy;
}

HttpClient::~HttpClient() {
  for (CURL* h : impl_->idle) curl_easy_cleanup(h);
}

const RetryPolicy& HttpClient::policy() const { return impl_->policy; }

uint64_t HttpClient::requests_sent() const { return impl_->requests; }
uint64_t HttpClient::bytes_received() const { return impl_->bytes; }

void RetryPolicy::back_off(int attempt) const {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const double cap = std::min(max_delay_seconds, base_delay_seconds * double(1u << std::min(attempt, 20)));
  const double wait = std::uniform_real_distribution<double>(0, cap)(random);
  std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

HttpResponse HttpClient::send(const std::function<HttpRequest()>& make_request) {
  const RetryPolicy& p = impl_->policy;
  std::string last;
  std::string url;
  for (int attempt = 1;; ++attempt) {
    const HttpRequest request = make_request();
    url = request.url;
    std::string error;
    HttpResponse response = impl_->attempt(request, error);
    if (error.empty() && !retryable_status(response.status)) return response;
    last = error.empty() ? "HTTP " + std::to_string(response.status) : error;
    if (attempt >= p.attempts) break;
    count(counters().retries);
    p.back_off(attempt);
  }
  fail(ErrorCode::kIo, "{}: {} (after {} attempts)", url, last, p.attempts);
}

}  // namespace mimicit::remote
