// Fuzz target: the legacy images.json store (json_scanner.h over util's
// JsonObjectWalker, behind ImageStore).
//
// The input is the images.json file. It is scanned in memory with
// scan_json_ids (every member's value located and unescaped), then
// opened from a temporary file as an ImageStore (no saved index), whose ids
// are listed in both orders and fetched (base64 decoding included). Checks,
// beyond "no crash": when the scan succeeds the store opens, and holds
// exactly the distinct ids the scan reported. Seeds: small valid and
// malformed images.json files (fuzz/make_seeds.py).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include "fuzz_util.h"
#include "mimicit/image_store.h"
#include "store/json_scanner.h"
#include "util/json_walker.h"

namespace {

using mimicit::Buffer;
using mimicit::ByteView;

[[noreturn]] void fail_check(const char* why) {
  std::fprintf(stderr, "images.json: %s\n", why);
  std::abort();
}

// The distinct ids, or nullopt when the scan rejects the document.
std::optional<std::set<std::string>> scan(ByteView doc) {
  std::set<std::string> ids;
  try {
    std::string unescaped;
    mimicit::store::scan_json_ids(doc, [&](std::string_view id, uint64_t offset) {
      ids.emplace(id);
      mimicit::fuzz::accept_errors([&] {
        auto raw = mimicit::store::locate_value_string(doc, offset);
        unescaped.clear();
        size_t error_pos = 0;
        if (mimicit::unescape_json_string(raw.text, unescaped, &error_pos) && error_pos > raw.text.size()) {
          fail_check("an unescape error lies outside the string");
        }
      });
    });
  } catch (const mimicit::Error&) {
    return std::nullopt;
  }
  return ids;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mimicit::fuzz::TempFile temp("images.json");
  const auto scanned = scan(ByteView(data, size));

  temp.write(data, size);
  mimicit::ImageStoreOptions options;
  options.use_saved_index = false;
  options.save_index = false;
  std::shared_ptr<const mimicit::ImageStore> store;
  try {
    store = mimicit::ImageStore::open(temp.path(), options);
  } catch (const mimicit::Error& e) {
    if (scanned) {
      std::fprintf(stderr, "%s\n", e.what());
      fail_check("the store refuses a document the scanner accepts");
    }
    return 0;
  }
  if (!scanned) fail_check("the store opens a document the scanner rejects");
  if (store->size() != scanned->size()) fail_check("the store and the scan count different ids");

  Buffer image;
  store->for_each_id([&](std::string_view id) {
    if (!scanned->count(std::string(id))) fail_check("the store lists an id the scan did not see");
    mimicit::fuzz::accept_errors([&] {
      store->get(id, image);
      mimicit::fuzz::touch(image.data(), image.size());
    });
    return true;
  });
  size_t seen = 0;
  store->for_each_in_storage_order([&](std::string_view id, size_t rank) {
    if (rank >= store->size() || !store->contains(id)) fail_check("storage order lists a bad id or rank");
    ++seen;
    return true;
  });
  if (seen != store->size()) fail_check("storage order misses ids");
  mimicit::fuzz::accept_errors([&] { store->get("\xff no such id", image); });
  return 0;
}
