// HttpServer: cpp-httplib's request handling (parsing, routing, writing
// answers) with mimicit's own connection handling, because Debian's
// cpp-httplib 0.11.4 bounds neither the bytes of a request line (a client
// sending an endless line makes the server buffer all of it) nor the time
// a client may take to send a request.
//
// The server accepts connections itself and runs each on a pool of
// threads, feeding httplib::Server::process_request() a Stream that
//   - delivers at most kMaxRequestBytes per request (request line, headers
//     and body together); past that the request fails and the connection
//     is closed after a 431 answer;
//   - gives each request kRequestSeconds from its first byte to its last,
//     and each read or write kIoSeconds;
//   - lets an idle keep-alive connection wait kKeepAliveSeconds for its
//     next request, at most kKeepAliveRequests requests a connection.
// At most kMaxConnections connections are open at once; more are closed
// at once. stop() shuts the listening socket down; connections stop
// reading (a request not yet received is dropped), finish writing the
// answer they are writing, and close; serve() returns when all are done.
//
// Thread-safety: bind() and serve() from one thread; stop() from any.
#pragma once

#include <atomic>
#include <string>

#include <httplib.h>

namespace mimicit::server {

class HttpServer : public httplib::Server {
 public:
  static constexpr size_t kMaxRequestBytes = 128 * 1024;
  static constexpr int kRequestSeconds = 10;
  static constexpr int kIoSeconds = 5;
  static constexpr int kKeepAliveSeconds = 2;
  static constexpr int kKeepAliveRequests = 1000;
  // Below FD_SETSIZE: process_request answers 500 on larger descriptors.
  static constexpr int kMaxConnections = 512;

  // Binds host:port (port 0: any free port); returns the port, or -1.
  int bind(const std::string& host, int port);
  ~HttpServer() override;
  // Accepts and serves connections on `threads` threads until stop().
  void serve(int threads);
  void stop();

  // For a handler: the connection closes after the answer being made, and
  // whatever else the client sent (a request body) is never read.
  static void close_after_response();

 private:
  void serve_connection(socket_t sock);
  bool stopping() const { return stopping_.load(); }

  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
};

}  // namespace mimicit::server
