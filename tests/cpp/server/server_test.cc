// mimicit::server::Server in-process on port 0 with cpp-httplib's client:
// routes, security headers, 404s and traversal attempts, parameter limits,
// methods, the Host check, thumbnails, search paging, and start/stop
// (stop before run, a busy port). The Python suite (test_serve*.py) drives
// the CLI over HTTP and in a browser; this runs the same code under the
// sanitizers with the C++ suite.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/server.h"
#include "server/search.h"
#include "test_data.h"

namespace mimicit::server {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string jpeg(uint32_t width, uint32_t height, uint8_t shade) {
  image::RgbImage rgb{width, height, std::vector<uint8_t>(size_t{width} * height * 3, shade)};
  Buffer out;
  image::encode_jpeg(rgb, out);
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

// IMAGE_TEXT: 12 records with one image each from a folder store (one
// record's instruction is a <script>, one image is missing), TEXT_ONLY: 3.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("server");
    fs::create_directories(dir_ / "images");
    std::string records;
    for (int i = 0; i < 12; ++i) {
      const std::string image = i == 11 ? "IMG_missing" : "IMG_" + std::to_string(i);
      if (i != 11)
        write_file(dir_ / "images" / (image + ".jpg"), jpeg(40 + 10 * i, 30, static_cast<uint8_t>(20 * i)));
      const std::string instruction =
          i == 5 ? "<script>window.__pwned=1</script>" : "Question " + std::to_string(i) + "?";
      records += fmt::format(
          "{}\"INS_{}\": {{\"instruction\": \"{}\", \"answer\": \"Answer {}\", \"image_ids\": [\"{}\"]}}",
          i ? "," : "", i, instruction, i, image);
    }
    write_file(dir_ / "vqa.json", "{\"data\": {" + records + "}}");
    write_file(
        dir_ / "text.json",
        R"({"data": {"T_0": {"instruction": "Say \"hi\"", "answer": "hi"}, "T_1": {"instruction": "x", "answer": "y"},
                            "T_2": {"instruction": "CASE test", "answer": "z"}}})");
    write_file(
        dir_ / "data.yaml",
        fmt::format("IMAGE_TEXT:\n  VQA:\n    mimicit_path: {0}/vqa.json\n    images_path: {0}/images\n"
                    "TEXT_ONLY:\n  TXT:\n    mimicit_path: {0}/text.json\n",
                    dir_.string()));
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    fs::remove_all(dir_);
  }

  void start(ServerOptions options = {}) {
    options.port = 0;
    options.sample.parse.threads = 2;
    server_ = Server::open((dir_ / "data.yaml").string(), options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }

  httplib::Result get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(20);
    return client.Get(path, headers);
  }

  fs::path dir_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(ServerTest, ServesPagesWithSecurityHeaders) {
  start();
  EXPECT_EQ(server_->url(), fmt::format("http://127.0.0.1:{}/", port_));
  for (const char* path :
       {"/", "/browse", "/search", "/stats", "/validation", "/sample/INS_0", "/static/app.js",
        "/static/style.css", "/api/summary", "/image/IMG_3", "/thumb/IMG_3", "/nope"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, std::string_view(path) == "/nope" ? 404 : 200) << path;
    const std::string policy = res->get_header_value("Content-Security-Policy");
    EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << path;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
  }
  auto image = get("/image/IMG_3");
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(image->body, jpeg(70, 30, 60));
  auto thumb = get("/thumb/IMG_3");
  const image::ImageInfo info = image::probe(as_bytes(thumb->body));
  EXPECT_EQ(info.width, 70u);  // small images are not enlarged
  EXPECT_EQ(get("/static/app.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(ServerTest, EscapesRecordText) {
  start();
  auto res = get("/sample/INS_5");
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(res->body.find("<script>window"), std::string::npos);
  res = get("/api/sample/T_0");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_NE(res->body.find(R"("instruction":"Say \"hi\"")"), std::string::npos) << res->body;
}

TEST_F(ServerTest, UnknownIdsAndTraversalAre404) {
  start();
  for (const char* path : {"/sample/NOPE", "/image/NOPE", "/thumb/NOPE", "/api/sample/NOPE",
                           "/image/IMG_missing", "/thumb/IMG_missing", "/image/..%2f..%2fetc%2fpasswd",
                           "/static/../../etc/passwd", "/static/%2e%2e%2fCMakeLists.txt", "/image/%00",
                           "/image/IMG_3%00", "/image/", "/image/..%2fimages%2fIMG_3", "/image/IMG_3.jpg"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(get("/sample/" + std::string(5000, 'A'))->status, 414);
}

TEST_F(ServerTest, ParametersAreValidatedAndCapped) {
  start();
  EXPECT_EQ(get("/api/samples?group=IMAGE_TEXT&limit=1000000")->status, 200);
  EXPECT_NE(get("/api/samples?group=IMAGE_TEXT&limit=1000000")->body.find("\"limit\":100,"),
            std::string::npos);
  EXPECT_EQ(get("/api/samples?group=IMAGE_TEXT&offset=12")->status, 200);
  for (const char* query :
       {"group=IMAGE_TEXT&offset=13", "group=IMAGE_TEXT&offset=-1", "group=IMAGE_TEXT&limit=x",
        "group=IMAGE_TEXT&offset=99999999999999999999", "group=VIDEO", "group=IMAGE_TEXT&format=x"}) {
    auto res = get(std::string("/api/samples?") + query);
    EXPECT_EQ(res->status, 400) << query;
    EXPECT_EQ(res->body.rfind("{\"error\":", 0), 0u) << res->body;
  }
  EXPECT_EQ(get("/api/samples?group=VIDEO_TEXT")->status, 404);  // no such group in the YAML
  EXPECT_EQ(get("/api/search?q=" + std::string(300, 'x'))->status, 400);
  EXPECT_EQ(get("/api/search")->status, 400);
  EXPECT_EQ(get("/api/validation?kind=nope")->status, 400);
}

TEST_F(ServerTest, OnlyGetAndHeadFromLoopbackNames) {
  start();
  httplib::Client client("127.0.0.1", port_);
  auto post = client.Post("/", "x=1", "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto head = client.Head("/image/IMG_2");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(get("/", {{"Host", "evil.example"}})->status, 403);
  EXPECT_EQ(get("/", {{"Host", "localhost"}})->status, 200);
}

TEST_F(ServerTest, SearchPagesThroughRecords) {
  start();
  auto res = get("/api/search?q=answer%201&limit=1");
  ASSERT_EQ(res->status, 200);
  // "Answer 1", then "Answer 10" and "Answer 11" on the next pages.
  EXPECT_NE(
      res->body.find(R"("results":[{"id":"INS_1","group":"IMAGE_TEXT","dataset":"VQA","field":"answer")"),
      std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find(R"("next_cursor":2,)"), std::string::npos) << res->body;
  res = get("/api/search?q=answer%201&cursor=2");
  EXPECT_NE(res->body.find(R"("id":"INS_10")"), std::string::npos);
  EXPECT_NE(res->body.find(R"("id":"INS_11")"), std::string::npos);
  EXPECT_NE(res->body.find(R"("next_cursor":null)"), std::string::npos);
  // Escaped JSON text is matched on its value; case is ignored.
  res = get("/api/search?q=say%20%22HI");
  EXPECT_NE(res->body.find(R"("id":"T_0")"), std::string::npos) << res->body;
  res = get("/api/search?q=IMG_4");
  EXPECT_NE(res->body.find(R"("exact":[{"kind":"image","id":"IMG_4","group":"IMAGE_TEXT"}])"),
            std::string::npos);
  EXPECT_NE(res->body.find(R"("field":"image_ids","value":"IMG_4")"), std::string::npos);
}

// Sends `bytes` on a new connection, then reads until the server closes.
std::string send_and_read(int port, const std::string& bytes) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(sock, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed the connection
    sent += static_cast<size_t>(n);
  }
  ::shutdown(sock, SHUT_WR);
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(sock, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<size_t>(n));
  ::close(sock);
  return answer;
}

TEST_F(ServerTest, RequestsAreBoundedInBytes) {
  start();
  // An endless request line: cut off at 128 KiB with 431 (httplib alone
  // would buffer all of it).
  const std::string answer = send_and_read(port_, "GET /" + std::string(8 << 20, 'a'));
  EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 431", 0) == 0) << answer.substr(0, 100);
  // A POST with a huge declared body: 405 at once, the body never read.
  EXPECT_EQ(
      send_and_read(port_, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000000\r\n\r\nzz")
          .rfind("HTTP/1.1 405", 0),
      0u);
  // Two requests on one connection (keep-alive, pipelined).
  const std::string two = send_and_read(port_,
                                        "GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                        "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(two.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(two.find("HTTP/1.1 404"), std::string::npos);
  EXPECT_EQ(get("/api/summary")->status, 200);
}

TEST_F(ServerTest, StopBeforeRunAndBusyPorts) {
  ServerOptions options;
  options.port = 0;
  auto server = Server::open((dir_ / "data.yaml").string(), options);
  server->bind();
  server->stop();
  server->run();  // returns at once
  start();
  options.port = port_;
  auto second = Server::open((dir_ / "data.yaml").string(), options);
  try {
    second->bind();
    FAIL() << "a second server bound a busy port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(e.message().find(fmt::format("127.0.0.1:{}", port_)), std::string::npos);
  }
}

TEST_F(ServerTest, BadYamlFailsToOpen) {
  EXPECT_THROW(Server::open((dir_ / "missing.yaml").string()), Error);
  ServerOptions options;
  options.port = 70000;
  EXPECT_THROW(Server::open((dir_ / "data.yaml").string(), options), Error);
}

// The assets are the files of src/server/assets (MIMICIT_SERVER_ASSETS, set
// by CMakeLists.txt), embedded byte for byte.
TEST_F(ServerTest, StaticFilesAreTheAssetFiles) {
  start();
  for (const char* name : {"app.js", "style.css", "favicon.svg"}) {
    const std::vector<uint8_t> file = testing::read_file_bytes(fs::path(MIMICIT_SERVER_ASSETS) / name);
    ASSERT_FALSE(file.empty()) << name;
    auto res = get(std::string("/static/") + name);
    ASSERT_TRUE(res) << name;
    EXPECT_EQ(res->status, 200) << name;
    EXPECT_EQ(res->body, std::string(file.begin(), file.end())) << name;
  }
}

// Two stores in one group: an id in both is the later store's, and the
// group counts distinct ids.
TEST_F(ServerTest, AGroupsStoresResolveAnIdToTheLastHoldingIt) {
  fs::create_directories(dir_ / "more");
  write_file(dir_ / "more" / "IMG_3.jpg", jpeg(33, 22, 7));
  write_file(dir_ / "more" / "IMG_extra.jpg", jpeg(20, 20, 9));
  write_file(
      dir_ / "data.yaml",
      fmt::format(
          "IMAGE_TEXT:\n  VQA:\n    mimicit_path: {0}/vqa.json\n    images_path: [{0}/images, {0}/more]\n",
          dir_.string()));
  start();
  EXPECT_EQ(get("/image/IMG_3")->body, jpeg(33, 22, 7));
  EXPECT_EQ(get("/image/IMG_4")->body, jpeg(80, 30, 80));
  EXPECT_NE(get("/api/summary")->body.find("\"images\":12"), std::string::npos);  // 11 + 2 - 1
}

// --cache-dir: the index of a store whose folder cannot take it goes there.
TEST_F(ServerTest, CacheDirTakesTheIndexOfAReadOnlyStore) {
  // A folder in the way of the index file: like a read-only store folder
  // (which root, running the tests, could still write).
  fs::create_directories(dir_ / "images" / ".mimicit-index");
  ServerOptions options;
  options.cache_dir = (dir_ / "cache").string();
  options.validate = false;
  start(options);
  EXPECT_EQ(get("/image/IMG_3")->status, 200);
  size_t indexes = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "cache")) {
    indexes += entry.path().string().ends_with(".mimicit-index");
  }
  EXPECT_EQ(indexes, 1u);
}

TEST(Search, FindIgnoringCase) {
  EXPECT_EQ(find_ignoring_case("Hello World", "WORLD"), 6u);
  EXPECT_EQ(find_ignoring_case("Hello", ""), 0u);
  EXPECT_EQ(find_ignoring_case("abc", "abcd"), std::string_view::npos);
  EXPECT_EQ(find_ignoring_case("caf\xc3\xa9", "CAF\xc3\xa9"), 0u);
  EXPECT_EQ(find_ignoring_case("caf\xc3\xa9", "CAF\xc3\x89"), std::string_view::npos);  // ASCII case only
}

}  // namespace
}  // namespace mimicit::server
