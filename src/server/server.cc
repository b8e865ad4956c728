// The HTTP layer of the viewer: HttpServer (http_server.h) holds the
// connections within their limits, cpp-httplib parses requests and writes
// answers, and this file routes. Every request goes through one
// pre-routing handler (route()), which matches paths by prefix (no
// std::regex over client-controlled text), checks the method and the Host
// header, parses and bounds the parameters, and sets the security headers
// on every answer.
#include "mimicit/server.h"

#include <sys/socket.h>

#include <atomic>
#include <semaphore>
#include <thread>

#include <httplib.h>

#include "mimicit/error.h"
#include "server/api.h"
#include "server/assets/assets.h"
#include "server/catalog.h"
#include "server/html.h"
#include "server/http_server.h"
#include "server/http_util.h"
#include "server/limits.h"
#include "server/pages.h"
#include "server/sample_view.h"
#include "server/search.h"
#include "server/stats.h"
#include "server/thumbnails.h"
#include "server/validation.h"
#include "util/json_writer.h"

namespace mimicit::server {

namespace {

constexpr int kDefaultThreads = 32;
// Thumbnails decoded at once: decoding a large image takes memory (3 bytes
// a pixel), so the decodes are bounded; other requests never wait for them.
constexpr std::ptrdiff_t kMaxDecodes = 8;

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// A request that cannot be answered: the status and a message for the
// client (HTML page or JSON, by route).
struct HttpError {
  int status;
  std::string message;
};

[[noreturn]] void fail_http(int status, std::string message) { throw HttpError{status, std::move(message)}; }

// Background validation takes half the cores: requests keep the rest. It
// reads the stores the catalog opened.
validate::Options validate_options(const ServerOptions& options, const Catalog& catalog) {
  validate::Options out;
  out.decode = options.validate_decode;
  out.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / 2));
  out.base_dir = options.base_dir;
  out.stores = catalog.stores();
  out.python_unicode = options.sample.python_unicode;
  out.progress = false;
  return out;
}

void set_security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

std::string_view after(std::string_view path, std::string_view prefix) { return path.substr(prefix.size()); }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<const Catalog> catalog;
  ThumbnailCache thumbs;
  std::counting_semaphore<kMaxDecodes> decode_slots{kMaxDecodes};
  StatsJob stats;
  ValidationJob validation;
  HttpServer http;
  int port = -1;
  std::atomic<bool> stopped{false};

  Impl(ServerOptions opts, std::shared_ptr<const Catalog> cat)
      : options(std::move(opts)),
        catalog(std::move(cat)),
        thumbs(options.thumb_cache_bytes),
        stats(catalog, options.stats_records, options.stats_images),
        validation(catalog, validate_options(options, *catalog), options.validate) {}

  void install();
  void route(const httplib::Request& req, httplib::Response& res);
  void dispatch(const httplib::Request& req, httplib::Response& res, std::string_view path);

  // Parameters.
  const GroupView& group_param(const httplib::Request& req, bool required);
  dataset::InstructionFormat format_param(const httplib::Request& req);
  uint64_t count_param(const httplib::Request& req, const char* name, uint64_t fallback);
  std::string id_from(std::string_view path, std::string_view prefix);

  // Routes.
  void image(std::string_view id, httplib::Response& res);
  void thumbnail(const std::string& id, httplib::Response& res);
  void sample(const httplib::Request& req, std::string_view id, httplib::Response& res);
  void samples_api(const httplib::Request& req, httplib::Response& res);
  void sample_api(const httplib::Request& req, std::string_view id, httplib::Response& res);
  void search_api(const httplib::Request& req, httplib::Response& res);
  void validation_api(const httplib::Request& req, httplib::Response& res);
};

void Server::Impl::install() {
  // httplib's default sets SO_REUSEPORT, which lets a second server (any
  // process of the same user) listen on the same port and take a share of
  // the connections; SO_REUSEADDR only allows a restart while old
  // connections linger in TIME_WAIT.
  http.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.set_payload_max_length(kMaxPayloadBytes);
  // Only for the Keep-Alive header httplib writes: HttpServer keeps them.
  http.set_keep_alive_timeout(HttpServer::kKeepAliveSeconds);
  http.set_keep_alive_max_count(HttpServer::kKeepAliveRequests);
  // Exceptions that are neither HttpError nor mimicit::Error (bad_alloc):
  // a plain 500, without httplib's EXCEPTION_WHAT header.
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(error_page(500, "internal error"), "text/html; charset=utf-8");
  });
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    route(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every answer of 400 or more passes here, those route() made included;
  // the ones httplib makes itself (bad request lines, 414) get the same
  // headers.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.has_header("Content-Security-Policy")) set_security_headers(res);
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  });
}

void Server::Impl::route(const httplib::Request& req, httplib::Response& res) {
  const std::string_view path = req.path;
  const bool api = starts_with(path, "/api/");
  set_security_headers(res);
  try {
    if (req.method != "GET" && req.method != "HEAD") {
      // Answered at once; a body, if any, is never read, so the connection
      // closes after the answer.
      HttpServer::close_after_response();
      res.set_header("Connection", "close");
      res.set_header("Allow", "GET, HEAD");
      fail_http(405, "only GET and HEAD are served");
    }
    if (!host_allowed(req.get_header_value("Host"), options.host)) {
      fail_http(403, "this server answers only requests to a loopback name (localhost, 127.0.0.1, [::1])");
    }
    dispatch(req, res, path);
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  } catch (const HttpError& e) {
    res.status = e.status;
    res.headers.erase("Cache-Control");
    res.set_header("Cache-Control", "no-store");
    if (api) {
      JsonWriter json;
      json.begin_object().key("error").value(e.message).end_object();
      res.set_content(json.take(), "application/json; charset=utf-8");
    } else {
      res.set_content(error_page(e.status, e.message), "text/html; charset=utf-8");
    }
  }
}

void Server::Impl::dispatch(const httplib::Request& req, httplib::Response& res, std::string_view path) {
  static constexpr char kHtml[] = "text/html; charset=utf-8";
  static constexpr char kJson[] = "application/json; charset=utf-8";
  try {
    if (path == "/") {
      res.set_content(index_page(*catalog), kHtml);
    } else if (path == "/browse") {
      res.set_content(
          client_page("Browse samples", "browse",
                      {{"format", dataset::instruction_format_name(options.sample.instruction_format)}}, ""),
          kHtml);
    } else if (path == "/search") {
      res.set_content(client_page("Search", "search", {}, ""), kHtml);
    } else if (path == "/stats") {
      res.set_content(client_page("Statistics", "stats", {}, ""), kHtml);
    } else if (path == "/validation") {
      res.set_content(client_page("Validation", "validation", {}, ""), kHtml);
    } else if (starts_with(path, "/sample/")) {
      sample(req, id_from(path, "/sample/"), res);
    } else if (starts_with(path, "/image/")) {
      image(id_from(path, "/image/"), res);
    } else if (starts_with(path, "/thumb/")) {
      thumbnail(id_from(path, "/thumb/"), res);
    } else if (starts_with(path, "/static/")) {
      const Asset* asset = find_asset(after(path, "/static/"));
      if (asset == nullptr) fail_http(404, "no such file");
      res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
      res.set_header("Cache-Control", "no-cache");
    } else if (path == "/api/summary") {
      res.set_content(summary_json(*catalog), kJson);
    } else if (path == "/api/samples") {
      samples_api(req, res);
    } else if (starts_with(path, "/api/sample/")) {
      sample_api(req, id_from(path, "/api/sample/"), res);
    } else if (path == "/api/search") {
      search_api(req, res);
    } else if (path == "/api/validation") {
      validation_api(req, res);
    } else if (path == "/api/stats") {
      stats.start();
      res.set_content(stats.json(), kJson);
    } else {
      fail_http(404, "no such page");
    }
  } catch (const Error& e) {
    // Bad data met while answering (a corrupt record or image): the
    // message names it.
    const bool image_error = e.code() == ErrorCode::kCorrupt || e.code() == ErrorCode::kUnsupported ||
                             e.code() == ErrorCode::kLimit;
    fail_http(e.code() == ErrorCode::kNotFound ? 404 : image_error ? 422 : 500, e.message());
  }
}

const GroupView& Server::Impl::group_param(const httplib::Request& req, bool required) {
  if (!req.has_param("group")) {
    if (required) fail_http(400, "group=NAME is required");
    for (const GroupView& group : catalog->groups()) {
      if (group.data) return group;
    }
    fail_http(404, "no group could be opened");
  }
  const std::string name = req.get_param_value("group");
  const std::optional<dataset::Group> group = dataset::parse_group(name);
  if (!group) fail_http(400, "group must be " + dataset::kGroupNames.names(" or "));
  const GroupView* view = catalog->find(*group);
  if (view == nullptr)
    fail_http(404, std::string("the data YAML has no group ") + dataset::group_name(*group));
  if (!view->data) fail_http(404, view->error);
  return *view;
}

dataset::InstructionFormat Server::Impl::format_param(const httplib::Request& req) {
  if (!req.has_param("format")) return options.sample.instruction_format;
  const auto format = dataset::parse_instruction_format(req.get_param_value("format"));
  if (!format) fail_http(400, "format must be simple, llama2, idefics or fuyu");
  return *format;
}

uint64_t Server::Impl::count_param(const httplib::Request& req, const char* name, uint64_t fallback) {
  if (!req.has_param(name)) return fallback;
  const std::optional<uint64_t> n = parse_count(req.get_param_value(name));
  if (!n) fail_http(400, std::string(name) + " must be a whole number (0 to 18 digits)");
  return *n;
}

std::string Server::Impl::id_from(std::string_view path, std::string_view prefix) {
  const std::string_view id = after(path, prefix);
  if (id.empty()) fail_http(404, "no id given");
  if (id.size() > kMaxIdBytes) fail_http(414, "the id is longer than any stored id may be");
  return std::string(id);
}

void Server::Impl::image(std::string_view id, httplib::Response& res) {
  Buffer bytes;
  if (!catalog->get_image(nullptr, id, bytes)) fail_http(404, "no image with this id");
  res.set_content(reinterpret_cast<const char*>(bytes.data()), bytes.size(), image_content_type(bytes));
  res.headers.erase("Content-Security-Policy");
  res.set_header("Content-Security-Policy", std::string(kContentSecurityPolicy) + "; sandbox");
  res.set_header("Cache-Control", "private, max-age=300");
}

void Server::Impl::thumbnail(const std::string& id, httplib::Response& res) {
  const ThumbnailCache::Thumbnail jpeg = thumbs.get(id, [&] {
    Buffer bytes;
    if (!catalog->get_image(nullptr, id, bytes)) fail_http(404, "no image with this id");
    decode_slots.acquire();
    struct Release {
      std::counting_semaphore<kMaxDecodes>& slots;
      ~Release() { slots.release(); }
    } release{decode_slots};
    return make_thumbnail(bytes, options.thumb_side);
  });
  res.set_content(jpeg->data(), jpeg->size(), "image/jpeg");
  res.set_header("Cache-Control", "private, max-age=300");
}

void Server::Impl::sample(const httplib::Request& req, std::string_view id, httplib::Response& res) {
  const GroupView* group = nullptr;
  if (req.has_param("group")) {
    group = &group_param(req, true);
  } else {
    group = catalog->group_of(id);
  }
  const dataset::InstructionFormat format = format_param(req);
  if (group == nullptr || !group->data->find_record(id)) fail_http(404, "no instruction record with this id");
  const SampleView view = view_sample(*group->data, id, format);
  SampleFindings findings;
  findings.state = validation.state();
  findings.list = validation.findings(group->group, id, view.record.image_ids, kMaxProblemsPerSample);
  res.set_content(sample_page(*catalog, *group, view, format, findings), "text/html; charset=utf-8");
}

void Server::Impl::samples_api(const httplib::Request& req, httplib::Response& res) {
  const GroupView& group = group_param(req, false);
  const dataset::InstructionFormat format = format_param(req);
  const uint64_t offset = count_param(req, "offset", 0);
  const uint64_t limit = std::min(count_param(req, "limit", kDefaultPageSize), kMaxPageSize);
  if (offset > group.data->size()) {
    fail_http(400, "offset is past the end of the " + std::to_string(group.data->size()) + " samples");
  }
  res.set_content(samples_json(group, offset, limit, format), "application/json; charset=utf-8");
}

void Server::Impl::sample_api(const httplib::Request& req, std::string_view id, httplib::Response& res) {
  const GroupView* group = req.has_param("group") ? &group_param(req, true) : catalog->group_of(id);
  const dataset::InstructionFormat format = format_param(req);
  if (group == nullptr || !group->data->find_record(id)) fail_http(404, "no instruction record with this id");
  res.set_content(sample_json(*group, id, format), "application/json; charset=utf-8");
}

void Server::Impl::search_api(const httplib::Request& req, httplib::Response& res) {
  SearchQuery query;
  query.text = req.get_param_value("q");
  if (query.text.empty()) fail_http(400, "q (the text to search for) is required");
  if (query.text.size() > kMaxQueryBytes) fail_http(400, "the query is longer than 256 bytes");
  query.cursor = count_param(req, "cursor", 0);
  query.limit = std::clamp<uint64_t>(count_param(req, "limit", kDefaultSearchResults), 1, kMaxSearchResults);
  res.set_content(search_json(*catalog, query), "application/json; charset=utf-8");
}

void Server::Impl::validation_api(const httplib::Request& req, httplib::Response& res) {
  std::optional<validate::Kind> kind;
  if (const std::string name = req.get_param_value("kind"); !name.empty()) {
    kind = validate::parse_kind(name);
    if (!kind) fail_http(400, "kind must be one of the kinds mimicit validate reports");
  }
  const uint64_t offset = count_param(req, "offset", 0);
  const uint64_t limit = std::min<uint64_t>(count_param(req, "limit", 100), kMaxProblemsPerPage);
  res.set_content(validation.json(kind, offset, limit), "application/json; charset=utf-8");
}

// ---------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

std::unique_ptr<Server> Server::open(const std::string& yaml_path, const ServerOptions& options) {
  if (options.port < 0 || options.port > 65535) fail_invalid("port {} is not 0 to 65535", options.port);
  if (options.thumb_side == 0) fail_invalid("thumbnail side must be at least 1");
  Catalog::Options catalog_options;
  catalog_options.base_dir = options.base_dir;
  catalog_options.sample = options.sample;
  catalog_options.stores.cache_dir = options.cache_dir;
  auto catalog = Catalog::open(yaml_path, catalog_options);
  auto impl = std::make_unique<Impl>(options, std::move(catalog));
  impl->install();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::bind() {
  Impl& impl = *impl_;
  impl.port = impl.http.bind(impl.options.host, impl.options.port);
  if (impl.port < 0) {
    fail(ErrorCode::kIo, "cannot listen on {}:{} (address in use, or not an address of this machine)",
         impl.options.host, impl.options.port);
  }
  return impl.port;
}

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", host, v6 ? "]" : "", impl_->port);
}

void Server::run() {
  if (impl_->port < 0) fail_invalid("run() before bind()");
  if (impl_->stopped.load()) return;
  impl_->validation.start();
  impl_->http.serve(impl_->options.threads > 0 ? impl_->options.threads : kDefaultThreads);
}

void Server::stop() {
  impl_->stopped = true;
  impl_->http.stop();
  impl_->validation.stop();
}

}  // namespace mimicit::server
