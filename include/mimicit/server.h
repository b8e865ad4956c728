// The web viewer of `mimicit serve`: a local HTTP server that shows a data
// YAML's datasets, samples, images, statistics and validation findings.
//
// Pages (HTML; the assets are compiled in, nothing is fetched from the
// network): / (datasets and counts per group), /browse (a paginated sample
// browser), /sample/<instruction id> (one sample: images, instruction and
// answer, the prompt in a chosen instruction format, its in-context turns,
// its validation findings), /search, /stats, /validation. Data: /image/<id>
// (the stored bytes), /thumb/<id> (a small JPEG), /static/<asset>, and the
// JSON APIs the pages use: /api/summary, /api/samples, /api/sample/<id>,
// /api/search, /api/stats, /api/validation.
//
// Safety: the server binds 127.0.0.1 unless told otherwise and, on a
// loopback address, answers only requests whose Host is a loopback name
// (DNS rebinding). Every piece of dataset text is HTML-escaped on the server
// and set with textContent on the client; every response carries a
// Content-Security-Policy without inline scripts or styles. Only GET and
// HEAD are served. Ids from a request are looked up in the instruction and
// image indexes only; no request path reaches the file system (assets come
// from memory). Unknown ids give 404; sizes, offsets and limits are checked
// and capped (src/server/limits.h), and so are the bytes and the time of a
// request (src/server/http_server.h: cpp-httplib 0.11 alone bounds neither).
//
// Concurrency: requests run on a pool of threads; image decoding (for
// thumbnails) runs without any lock held, and thumbnails are kept in a
// bounded LRU cache. Statistics are computed in the background once the
// statistics page first asks for them, on a bounded, evenly spaced sample of
// the records and images (the page says which), and validation
// (mimicit::validate) runs in the background from run() on, so neither
// slows start-up on millions of records.
//
// Errors: open() throws mimicit::Error when the YAML cannot be loaded; a
// group whose files or image store cannot be opened is shown with its error
// instead. bind() throws Error(kIo) naming the address when it cannot bind.
//
// Thread-safety: stop() may be called from any thread; the other methods
// from one thread. The destructor (once run() has returned, or without
// run()) stops the server and joins its threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mimicit/dataset.h"

namespace mimicit::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: a free port chosen by the system
  // Threads answering requests; 0: 32 (each idle keep-alive connection of a
  // browser holds one for a few seconds).
  int threads = 0;
  // Relative paths in the YAML are relative to this folder; empty: the
  // working directory (as the reference).
  std::string base_dir;
  // Where image store indexes go when the store's folder is read-only
  // (ImageStoreOptions::cache_dir); empty: the default.
  std::string cache_dir;
  // How prompts are built (keep_symbols, populate_rel_ins, resample_frames)
  // and the instruction format shown by default.
  dataset::SampleOptions sample;
  // Statistics: at most this many records and images, evenly spaced.
  uint64_t stats_records = 200000;
  uint64_t stats_images = 2000;
  // Thumbnails: the longest side, and the bytes the cache may hold.
  uint32_t thumb_side = 256;
  size_t thumb_cache_bytes = size_t{64} << 20;
  // Run mimicit validate in the background after start-up (decode: also
  // decode every image, which reads every store in full).
  bool validate = true;
  bool validate_decode = false;
};

// Whether `host` (as given to --host) is a loopback address or name:
// localhost, ::1, 127.x.y.z.
bool is_loopback_host(std::string_view host);

class Server {
 public:
  // Loads the YAML, the instruction files and the image stores' id indexes.
  static std::unique_ptr<Server> open(const std::string& yaml_path, const ServerOptions& options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the address; returns the port (the chosen one for port 0).
  int bind();
  // "http://HOST:PORT/" (IPv6 hosts in brackets); after bind().
  std::string url() const;
  // Serves until stop() is called; starts the background validation.
  void run();
  // Makes run() return soon; callable from any thread, any number of times.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicit::server
