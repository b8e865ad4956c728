#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

namespace mimicit::server {

namespace {

using Clock = std::chrono::steady_clock;

// Set by close_after_response() in a handler, which runs on the thread of
// its connection.
thread_local bool t_close_after_response = false;

// Waits until `sock` is readable (or writable), at most until `deadline`,
// waking every 100 ms to give up when `stop` becomes true. True when ready.
bool wait_for(socket_t sock, short events, Clock::time_point deadline,
              const std::atomic<bool>* stop = nullptr) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (stop != nullptr && stop->load()) return false;
    pollfd fd{sock, events, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

// One connection's socket, read through a buffer, with the limits of the
// header comment.
class LimitedStream : public httplib::Stream {
 public:
  LimitedStream(socket_t sock, const std::atomic<bool>& stop) : sock_(sock), stop_(stop) {}

  // A new request: its byte budget and deadline start with its first byte.
  void start_request() {
    budget_ = HttpServer::kMaxRequestBytes;
    over_budget_ = false;
    deadline_ = Clock::now() + std::chrono::seconds(HttpServer::kRequestSeconds);
  }
  bool over_budget() const { return over_budget_; }
  bool has_buffered() const { return begin_ < end_; }

  bool is_readable() const override {
    return has_buffered() || wait_for(sock_, POLLIN, io_deadline(), &stop_);
  }
  bool is_writable() const override {
    return wait_for(sock_, POLLOUT, Clock::now() + std::chrono::seconds(HttpServer::kIoSeconds));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (budget_ == 0) {
      over_budget_ = true;
      return -1;
    }
    size = std::min(size, budget_);
    if (!has_buffered()) {
      if (!wait_for(sock_, POLLIN, io_deadline(), &stop_)) return -1;
      const ssize_t n = ::recv(sock_, buffer_, sizeof buffer_, 0);
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, end_ - begin_);
    std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
    begin_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(sock_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      address_of(address, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      address_of(address, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  Clock::time_point io_deadline() const {
    return std::min(deadline_, Clock::now() + std::chrono::seconds(HttpServer::kIoSeconds));
  }

  socket_t sock_;
  const std::atomic<bool>& stop_;
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t budget_ = 0;
  bool over_budget_ = false;
  Clock::time_point deadline_;
};

}  // namespace

int HttpServer::bind(const std::string& host, int port) {
  if (port == 0) return bind_to_any_port(host);
  return bind_to_port(host, port) ? port : -1;
}

void HttpServer::serve(int threads) {
  httplib::ThreadPool pool(static_cast<size_t>(threads));
  while (!stopping()) {
    const socket_t listener = svr_sock_.load();
    if (listener == INVALID_SOCKET) break;
    // Waits in poll, not accept, so that a stop() that closes the
    // listening socket is seen within 100 ms.
    pollfd fd{listener, POLLIN, 0};
    const int ready = ::poll(&fd, 1, 100);
    if (ready <= 0) continue;
    const socket_t sock = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (sock == INVALID_SOCKET) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    // httplib writes an answer's head and body in separate sends: without
    // TCP_NODELAY the body waits for the client's delayed ACK (~40 ms).
    const int yes = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (connections_.fetch_add(1) >= kMaxConnections) {
      connections_.fetch_sub(1);
      ::close(sock);
      continue;
    }
    pool.enqueue([this, sock] {
      serve_connection(sock);
      connections_.fetch_sub(1);
    });
  }
  pool.shutdown();
  const socket_t listener = svr_sock_.exchange(INVALID_SOCKET);
  if (listener != INVALID_SOCKET) ::close(listener);
}

void HttpServer::serve_connection(socket_t sock) {
  LimitedStream stream(sock, stopping_);
  for (int count = 0; count < kKeepAliveRequests && !stopping(); ++count) {
    if (count > 0 && !stream.has_buffered() &&
        !wait_for(sock, POLLIN, Clock::now() + std::chrono::seconds(kKeepAliveSeconds), &stopping_)) {
      break;
    }
    stream.start_request();
    bool connection_closed = false;
    const bool last = count + 1 == kKeepAliveRequests || stopping();
    t_close_after_response = false;
    const bool ok = process_request(stream, last, connection_closed, [](httplib::Request&) {});
    if (stream.over_budget()) {
      static constexpr char kTooLarge[] =
          "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
      (void)::send(sock, kTooLarge, sizeof kTooLarge - 1, MSG_NOSIGNAL);
      break;
    }
    if (!ok || connection_closed || last || t_close_after_response) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

void HttpServer::close_after_response() { t_close_after_response = true; }

// Only shut down here: the descriptor stays valid (and is not reused by
// another open()) until serve() or the destructor closes it.
void HttpServer::stop() {
  stopping_ = true;
  const socket_t sock = svr_sock_.load();
  if (sock != INVALID_SOCKET) ::shutdown(sock, SHUT_RDWR);
}

HttpServer::~HttpServer() {
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) ::close(sock);
}

}  // namespace mimicit::server
