#include "server/search.h"

#include <algorithm>

#include "mimicit/error.h"
#include "server/html.h"
#include "server/limits.h"
#include "util/json_writer.h"
#include "util/utf8.h"

namespace mimicit::server {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Bytes of context on each side of a match in a snippet.
constexpr size_t kSnippetBefore = 60;
constexpr size_t kSnippetAfter = 120;

struct Snippet {
  std::string text;
  size_t match_start = 0;
};

// Text around [at, at + length), cut at UTF-8 sequence starts.
Snippet snippet(std::string_view text, size_t at, size_t length) {
  const size_t begin = utf8_prefix_length(text, at > kSnippetBefore ? at - kSnippetBefore : 0);
  const std::string_view tail = utf8_prefix(text.substr(begin), at - begin + length + kSnippetAfter);
  return {std::string(tail), at - begin};
}

void write_result(JsonWriter& json, const Catalog& catalog, const Catalog::File& file, std::string_view id,
                  std::string_view field, std::string_view value, std::string_view text, size_t at,
                  size_t length) {
  const GroupView& group = catalog.groups()[file.group];
  const Snippet cut = snippet(text, at, length);
  json.begin_object().key("id").value(id).key("group").value(dataset::group_name(group.group));
  json.key("dataset").value(group.data->datasets()[file.dataset].config.name);
  json.key("field").value(field).key("value").value(value);
  json.key("snippet").value(cut.text).key("match_start").value(uint64_t{cut.match_start});
  json.key("match_length").value(uint64_t{length}).end_object();
}

// Writes the record's first matching field; false when none matches.
bool match_record(JsonWriter& json, const Catalog& catalog, const Catalog::File& file, size_t index,
                  std::string_view query, dataset::Record& record) {
  const std::string_view id = file.file->id(index);
  if (size_t at = find_ignoring_case(id, query); at != std::string_view::npos) {
    write_result(json, catalog, file, id, "id", id, id, at, query.size());
    return true;
  }
  const std::string_view raw = file.file->raw_json(index);
  const bool escaped = raw.find('\\') != std::string_view::npos;
  if (!escaped && find_ignoring_case(raw, query) == std::string_view::npos) return false;
  file.file->read(index, &record);
  for (const auto& [field, text] :
       {std::pair<std::string_view, const std::string*>{"instruction", &record.instruction},
        {"answer", &record.answer}}) {
    if (size_t at = find_ignoring_case(*text, query); at != std::string_view::npos) {
      write_result(json, catalog, file, id, field, "", *text, at, query.size());
      return true;
    }
  }
  for (const std::string& image_id : record.image_ids) {
    if (size_t at = find_ignoring_case(image_id, query); at != std::string_view::npos) {
      write_result(json, catalog, file, id, "image_ids", image_id, image_id, at, query.size());
      return true;
    }
  }
  return false;
}

void write_exact(JsonWriter& json, const Catalog& catalog, std::string_view query) {
  json.key("exact").begin_array();
  for (const GroupView& group : catalog.groups()) {
    if (group.data && group.data->find_record(query)) {
      json.begin_object().key("kind").value("instruction").key("id").value(query);
      json.key("group").value(dataset::group_name(group.group)).end_object();
    }
  }
  for (const GroupView& group : catalog.groups()) {
    if (group.stores.contains(query)) {
      json.begin_object().key("kind").value("image").key("id").value(query);
      json.key("group").value(dataset::group_name(group.group)).end_object();
    }
  }
  json.end_array();
}

}  // namespace

size_t find_ignoring_case(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return lower(a) == lower(b); });
  return it == haystack.end() ? std::string_view::npos : static_cast<size_t>(it - haystack.begin());
}

std::string search_json(const Catalog& catalog, const SearchQuery& query) {
  const uint64_t total = catalog.total_records();
  JsonWriter json;
  json.begin_object().key("query").value(query.text);
  if (query.cursor == 0) {
    write_exact(json, catalog, query.text);
  } else {
    json.key("exact").begin_array().end_array();
  }
  json.key("results").begin_array();
  uint64_t position = 0;  // of the current file's first record
  uint64_t next = std::min(query.cursor, total);
  const uint64_t stop = std::min(total, next + kSearchRecordsPerRequest);
  uint64_t found = 0;
  dataset::Record record;
  for (const Catalog::File& file : catalog.files()) {
    const uint64_t size = file.file->size();
    for (; next < stop && next < position + size && found < query.limit; ++next) {
      try {
        found += match_record(json, catalog, file, next - position, query.text, record);
      } catch (const Error&) {
        // A record that fails to parse cannot match; validation reports it.
      }
    }
    position += size;
    if (next >= stop || found >= query.limit) break;
  }
  json.end_array();
  json.key("cursor").value(query.cursor);
  json.key("next_cursor");
  if (next < total) {
    json.value(next);
  } else {
    json.null();
  }
  json.key("records_total").value(total).key("records_scanned").value(next - std::min(query.cursor, total));
  json.end_object();
  return json.take();
}

}  // namespace mimicit::server
