// TrainConfig: {"<id>": ["<in-context id>", ...], ...} (spec 1.2).
#include "dataset/json_value.h"
#include "dataset/object_loader.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "remote/object_cache.h"
#include "util/json_walker.h"

namespace mimicit::dataset {

namespace od = simdjson::ondemand;

struct TrainConfig::Impl {
  std::string path;
  std::shared_ptr<const MappedFile> file;
  MemberTable entries;
  std::vector<RepeatedKey> repeats;
};

namespace {

// Reads a document that must be an array of strings.
bool read_id_list(od::document& doc, std::vector<std::string_view>* out, std::string* found) {
  out->clear();
  od::json_type type;
  if (auto error = doc.type().get(type)) {
    *found = simdjson::error_message(error);
    return false;
  }
  if (type != od::json_type::array) {
    *found = json_type_phrase(type);
    return false;
  }
  od::value value;
  if (auto error = doc.get_value().get(value)) {
    *found = simdjson::error_message(error);
    return false;
  }
  return read_string_list(value, out, found);
}

}  // namespace

TrainConfig::TrainConfig() : impl_(std::make_unique<Impl>()) {}
TrainConfig::~TrainConfig() = default;

std::shared_ptr<const TrainConfig> TrainConfig::open(const std::string& path, const ParseOptions& options) {
  std::shared_ptr<TrainConfig> result(new TrainConfig());
  Impl& impl = *result->impl_;
  impl.path = path;
  impl.file = remote::open_mapped(path);
  with_context(path, [&] {
    const ByteView doc = impl.file->bytes();
    std::vector<ReplacedValue> replaced;
    const uint64_t end =
        walk_object(*impl.file, 0, options.max_value_bytes, &impl.entries, &impl.repeats, &replaced);
    expect_only_whitespace_after(doc, end);
    validate_members(*impl.file, impl.entries, replaced, "entry", options.threads, [](od::document& value) {
      thread_local std::vector<std::string_view> list;
      std::string found;
      if (read_id_list(value, &list, &found)) return ValueProblem();
      return ValueProblem{fmt::format("the value is {}, expected an array of instruction ids", found)};
    });
  });
  return result;
}

const std::string& TrainConfig::path() const { return impl_->path; }
size_t TrainConfig::size() const { return impl_->entries.size(); }
std::string_view TrainConfig::id(size_t i) const { return impl_->entries.key(i); }

std::optional<size_t> TrainConfig::find(std::string_view id) const {
  const size_t i = impl_->entries.find(id);
  if (i == MemberTable::npos) return std::nullopt;
  return i;
}

const std::vector<RepeatedKey>& TrainConfig::repeated_ids() const { return impl_->repeats; }

void TrainConfig::read(size_t i, std::vector<std::string>* out) const {
  const ByteView doc = impl_->file->bytes();
  ValueParser& parser = ValueParser::for_this_thread();
  thread_local std::vector<std::string_view> list;
  od::document value;
  std::string found;
  auto error = parser.iterate(doc, impl_->entries.value_begin(i), impl_->entries.value_end(i)).get(value);
  if (error || !read_id_list(value, &list, &found)) {
    fail_corrupt("{}: {}: entry '{}': cannot read its id list", impl_->path,
                 describe_offset(doc, impl_->entries.value_begin(i)), id(i));
  }
  out->assign(list.begin(), list.end());
}

}  // namespace mimicit::dataset
