// convert_layout: whole datasets from one layout into another (convert.h).
// The HF files are hf_shards.h's; the Otter image store is convert_images's.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "convert/convert_internal.h"
#include "convert/convert_upload.h"
#include "convert/hf_shards.h"
#include "dataset/instruction_parquet.h"
#include "mimicit/convert.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "remote/url.h"
#include "store/open_store.h"
#include "store/store_scan.h"
#include "util/json_text.h"
#include "util/json_writer.h"
#include "util/worker_pool.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

std::optional<Layout> parse_layout(std::string_view name) {
  for (const LayoutName& n : kLayoutNames) {
    if (n.name == name) return n.layout;
  }
  return std::nullopt;
}

std::string_view layout_name(Layout layout) {
  for (const LayoutName& n : kLayoutNames) {
    if (n.layout == layout) return n.name;
  }
  return "?";
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string strip_suffix(std::string name) {
  for (std::string_view suffix : {"_instructions", "_Instructions", "_INSTRUCTIONS", "_Images", "_images"}) {
    if (ends_with(name, suffix) && name.size() > suffix.size())
      return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// CGD from CGD_instructions.json, CGD_Instructions/, CGD/, CGD/train-*.parquet,
// CGD/train-00000-of-00001.parquet.
std::string task_of(const std::string& instructions) {
  fs::path p = fs::path(instructions).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name;
  if (store::has_glob_characters(p.string()) ||
      (p.extension() == ".parquet" && p.stem().string().starts_with("train-"))) {
    name = p.parent_path().filename().string();
  } else if (fs::is_directory(p)) {
    name = p.filename().string();
  } else {
    name = p.stem().string();
  }
  name = strip_suffix(name);
  if (name.empty() || name == "." || name == "..") {
    fail_invalid("{}: cannot name the task from the path; give --task", instructions);
  }
  return name;
}

// The X_Images prefix beside remote X_Instructions (a prefix, a glob or a
// shard in it), if it holds objects.
std::vector<std::string> remote_images_beside(std::string instructions) {
  while (instructions.ends_with('/')) instructions.pop_back();
  if (store::has_glob_characters(instructions) || !store::is_folder(instructions))
    instructions = instructions.substr(0, instructions.rfind('/'));
  const size_t slash = instructions.rfind('/');
  const std::string sibling =
      instructions.substr(0, slash + 1) + strip_suffix(instructions.substr(slash + 1)) + "_Images";
  // Asked only of s3:// (an http(s) server has no listing): one request.
  if (remote::parse_object_url(sibling).scheme == remote::Scheme::kS3 && store::is_folder(sibling))
    return {sibling + "/"};
  return {};
}

LayoutSource source_of(std::string task, std::string instructions, std::vector<std::string> images) {
  LayoutSource s;
  s.task = task.empty() ? task_of(instructions) : std::move(task);
  if (images.empty() && dataset::names_parquet_instructions(instructions) &&
      !dataset::has_embedded_images(instructions)) {
    // X_Instructions beside X_Images, as the hub and `--to hf` lay them out.
    if (remote::is_remote(instructions)) {
      images = remote_images_beside(instructions);
    } else {
      fs::path p = fs::path(instructions).lexically_normal();
      if (p.filename().empty()) p = p.parent_path();
      if (store::has_glob_characters(p.string()) || !fs::is_directory(p)) p = p.parent_path();
      fs::path sibling = p.parent_path() / (strip_suffix(p.filename().string()) + "_Images");
      if (fs::is_directory(sibling)) images.push_back(sibling.string());
    }
  }
  s.instructions = std::move(instructions);
  s.images = std::move(images);
  return s;
}

// ---------------------------------------------------------------------------
// The run's state: the temporary output folder and the report.

struct Run {
  const LayoutOptions& options;
  fs::path out;   // final
  fs::path temp;  // being filled
  LayoutReport report;
  WorkerPool pool;
  Buffer scratch;

  explicit Run(const LayoutOptions& o, fs::path final_out, fs::path temp_dir)
      : options(o), out(std::move(final_out)), temp(std::move(temp_dir)), pool(o.threads) {}
};

bool embeds_images(const LayoutSource& s) {
  return s.images.empty() && dataset::names_parquet_instructions(s.instructions) &&
         dataset::has_embedded_images(s.instructions);
}

// The dataset's images: its stores, or the pictures the X configuration
// embeds in its rows; null for text-only data (no store, none embedded).
std::shared_ptr<const ImageStore> open_images(const LayoutSource& s) {
  std::shared_ptr<const ImageStore> store;
  if (!s.images.empty())
    store = ImageStore::open(s.images);
  else if (embeds_images(s))
    store = ImageStore::open(s.instructions);
  if (store && store->size() == 0 && s.images.empty()) store.reset();
  return store;
}

// Whether the store holds `id`; fills `out` with its bytes.
bool fetch_image(const ImageStore* store, std::string_view id, Buffer& out) {
  if (store == nullptr || !store->contains(id)) return false;
  store->get(id, out);
  return true;
}

// ---------------------------------------------------------------------------
// hf

struct ImageItem {
  std::string id;
  size_t rank = 0;
  Buffer bytes;
};

void write_hf(Run& run, const LayoutSource& s, std::vector<hf::CardConfig>& card) {
  auto records = dataset::InstructionFile::open(s.instructions);
  auto store = open_images(s);
  using hf::Config;
  hf::ShardWriter full(run.temp / hf::config_name(s.task, Config::kFull), Config::kFull, run.options);
  hf::ShardWriter instructions(run.temp / hf::config_name(s.task, Config::kInstructions),
                               Config::kInstructions, run.options);
  dataset::Record r;
  Buffer image;
  for (size_t i = 0; i < records->size(); ++i) {
    records->read(i, &r);
    const std::string_view id = records->id(i);
    uint64_t text_bytes = id.size() + r.instruction.size() + r.answer.size() + 64;
    for (const std::string& x : r.image_ids) text_bytes += x.size() + 8;
    for (const std::string& x : r.rel_ins_ids) text_bytes += x.size() + 8;
    auto common_head = [&](parquet::ParquetWriter& w) {
      w.append_bytes(0, id);
      r.has_instruction ? w.append_bytes(1, r.instruction) : w.append_null(1);
      r.has_answer ? w.append_bytes(2, r.answer) : w.append_null(2);
    };
    auto related = [&](parquet::ParquetWriter& w) {
      w.append_list(4, r.rel_ins_ids.size());
      for (const std::string& x : r.rel_ins_ids) w.append_bytes(4, x);
    };
    {
      parquet::ParquetWriter& w = instructions.begin_row(text_bytes);
      common_head(w);
      w.append_list(3, r.image_ids.size());
      for (const std::string& x : r.image_ids) w.append_bytes(3, x);
      related(w);
      instructions.end_row();
    }
    // The pictures of the row: fetched one by one (a row holds a few).
    std::vector<std::optional<std::string>> pictures;
    uint64_t bytes = text_bytes;
    for (const std::string& x : r.image_ids) {
      if (fetch_image(store.get(), x, image)) {
        pictures.emplace_back(std::string(as_string_view(image.view())));
        bytes += image.size();
      } else {
        pictures.emplace_back(std::nullopt);
        ++run.report.missing_images;
      }
    }
    parquet::ParquetWriter& w = full.begin_row(bytes);
    common_head(w);
    w.append_list(3, r.image_ids.size());
    for (size_t k = 0; k < r.image_ids.size(); ++k) {
      w.append_struct(3);
      pictures[k] ? w.append_bytes(3, *pictures[k]) : w.append_null(3);
      w.append_bytes(3, r.image_ids[k]);  // path: the image id (the read side names the picture by it)
    }
    related(w);
    full.end_row();
    ++run.report.records;
    if (i % 4096 == 4095) records->release_records(i - 4095, i + 1);
  }
  full.close();
  instructions.close();

  // X_Images: every image of the stores, in their order (none for text).
  hf::ShardWriter images(run.temp / hf::config_name(s.task, Config::kImages), Config::kImages, run.options);
  if (store)
    scan_store_in_storage_order<ImageItem>(
        *store, run.pool, [&](ImageItem& item) { store->get(item.id, item.bytes); }, [](ImageItem&) {},
        [&](ImageItem& item) {
          parquet::ParquetWriter& w = images.begin_row(item.id.size() + item.bytes.size() + 16);
          w.append_bytes(0, item.id);
          w.append_struct(1);
          w.append_bytes(1, as_string_view(item.bytes.view()));
          w.append_null(1);  // path: none, as `datasets` writes an Image given as bytes
          images.end_row();
          ++run.report.images;
        });
  if (store) images.close();
  for (const hf::ShardWriter* w : {&full, &images, &instructions}) {
    run.report.files += w->shards();
    run.report.bytes_out += w->file_bytes();
  }
  card.push_back({hf::config_name(s.task, Config::kFull), Config::kFull, full.rows(), full.value_bytes(),
                  full.file_bytes()});
  if (store) {
    card.push_back({hf::config_name(s.task, Config::kImages), Config::kImages, images.rows(),
                    images.value_bytes(), images.file_bytes()});
  }
  card.push_back({hf::config_name(s.task, Config::kInstructions), Config::kInstructions, instructions.rows(),
                  instructions.value_bytes(), instructions.file_bytes()});
}

// ---------------------------------------------------------------------------
// otter

// Writes `path` through a buffer flushed every few MB.
class TextFile {
 public:
  explicit TextFile(const fs::path& path) : file_(path.string()) {}
  std::string& buffer() { return text_; }
  void maybe_flush() {
    if (text_.size() > (4u << 20)) flush();
  }
  uint64_t commit() {
    flush();
    file_.commit();
    return file_.offset();
  }

 private:
  void flush() {
    file_.write(as_bytes(text_));
    text_.clear();
  }
  AtomicFileWriter file_;
  std::string text_;
};

// data.yaml's lines per group, in the order the groups came.
using YamlGroups = std::vector<std::pair<std::string, std::string>>;

void write_otter(Run& run, const LayoutSource& s, YamlGroups& yaml_groups) {
  auto records = dataset::InstructionFile::open(s.instructions);
  const std::string json_name = s.task + "_instructions.json";
  TextFile file(run.temp / json_name);
  std::string& text = file.buffer();
  text += "{\"meta\":";
  if (!records->meta_json().empty()) {
    text += records->meta_json();
  } else {
    JsonWriter meta(text);
    meta.begin_object()
        .key("version")
        .value("0.0.1")
        .key("author")
        .value("mimicit convert")
        .key("source")
        .value(s.instructions)
        .end_object();
  }
  text += ",\"data\":{";
  dataset::Record r;
  for (size_t i = 0; i < records->size(); ++i) {
    records->read(i, &r);
    text += i == 0 ? "\n" : ",\n";
    append_json_string(text, records->id(i));
    text += ':';
    JsonWriter j(text);
    j.begin_object();
    if (r.has_instruction) j.key("instruction").value(r.instruction);
    if (r.has_answer) j.key("answer").value(r.answer);
    j.key("image_ids").strings(r.image_ids).key("rel_ins_ids").strings(r.rel_ins_ids).end_object();
    file.maybe_flush();
    ++run.report.records;
    if (i % 4096 == 4095) records->release_records(i - 4095, i + 1);
  }
  text += "\n}}\n";
  run.report.bytes_out += file.commit();
  ++run.report.files;

  auto quoted = [](const std::string& value) {
    std::string out;
    append_json_string(out, value);
    return out;
  };
  auto group =
      std::find_if(yaml_groups.begin(), yaml_groups.end(), [&](const auto& g) { return g.first == s.group; });
  if (group == yaml_groups.end()) group = yaml_groups.insert(yaml_groups.end(), {s.group, ""});
  group->second +=
      fmt::format("  {}:\n    mimicit_path: {}\n", quoted(s.task), quoted((run.out / json_name).string()));
  if (!open_images(s)) return;  // text only

  // The images: the existing converter, into the output being built.
  const std::string store_name = s.task + "_images";
  ConvertOptions c;
  c.sources = s.images.empty() ? std::vector<std::string>{s.instructions} : s.images;
  c.out = (run.temp / store_name).string();
  c.codec = run.options.codec;
  c.threads = run.options.threads;
  c.progress = run.options.progress;
  ConvertReport images = convert_images(c);
  run.report.images += images.images;
  run.report.files += images.partitions;
  run.report.bytes_out += images.bytes_out;

  group->second += fmt::format("    images_path: {}\n", quoted((run.out / store_name).string()));
}

// ---------------------------------------------------------------------------
// llava

std::string file_name_of(std::string_view id, ByteView bytes) {
  std::string name;
  for (char c : id) name += c == '/' || c == '\\' || c == '\0' ? '_' : c;
  if (name.empty() || name.front() == '.') name.insert(0, "_");
  image::ImageFormat format = image::sniff_format(bytes);
  std::string_view ext = format == image::ImageFormat::kJpeg       ? "jpg"
                         : format == image::ImageFormat::kJpeg2000 ? "jp2"
                         : format == image::ImageFormat::kUnknown  ? "bin"
                                                                   : image::format_name(format);
  return name + "." + std::string(ext);
}

void write_llava(Run& run, const LayoutSource& s, std::set<std::string>& written) {
  auto records = dataset::InstructionFile::open(s.instructions);
  auto store = open_images(s);
  const fs::path image_dir = run.temp / "images";
  fs::create_directories(image_dir);
  TextFile file(run.temp / (s.task + ".json"));
  std::string& text = file.buffer();
  text += "[";
  dataset::Record r;
  Buffer image;
  std::vector<std::string> names;
  for (size_t i = 0; i < records->size(); ++i) {
    records->read(i, &r);
    names.clear();
    for (const std::string& id : r.image_ids) {
      if (!fetch_image(store.get(), id, image)) {
        ++run.report.missing_images;
        continue;
      }
      std::string name = file_name_of(id, image.view());
      if (written.insert(name).second) {
        AtomicFileWriter f((image_dir / name).string());
        f.write(image.view());
        f.commit();
        ++run.report.images;
        ++run.report.files;
        run.report.bytes_out += image.size();
      }
      names.push_back(std::move(name));
    }
    std::string prompt;
    for (size_t k = 0; k < names.size(); ++k) prompt += "<image>\n";
    prompt += r.instruction;
    text += i == 0 ? "\n" : ",\n";
    JsonWriter j(text);
    j.begin_object().key("id").value(records->id(i));
    if (names.size() == 1)
      j.key("image").value(names[0]);
    else if (names.size() > 1)
      j.key("image").strings(names);
    j.key("conversations").begin_array();
    j.begin_object().key("from").value("human").key("value").value(prompt).end_object();
    j.begin_object().key("from").value("gpt").key("value").value(r.answer).end_object();
    j.end_array().end_object();
    file.maybe_flush();
    ++run.report.records;
    if (i % 4096 == 4095) records->release_records(i - 4095, i + 1);
  }
  text += "\n]\n";
  run.report.bytes_out += file.commit();
  ++run.report.files;
}

void check(const LayoutOptions& options) {
  if (options.datasets.empty()) fail_invalid("no dataset to convert");
  if (options.out.empty()) fail_invalid("no output folder (-o)");
  if (is_remote_output(options.out))
    fail_invalid("{}: --to writes to a local folder only (image stores convert to s3://)", options.out);
  if (options.max_shard_bytes < (64u << 10)) fail_invalid("--max-shard-size must be at least 64KiB");
  std::set<std::string> tasks;
  for (const LayoutSource& s : options.datasets) {
    if (!tasks.insert(s.task).second) fail_invalid("two datasets are both named '{}'", s.task);
  }
}

}  // namespace

std::vector<LayoutSource> layout_sources(const std::vector<std::string>& paths, const std::string& task) {
  if (paths.empty()) fail_invalid("no source to convert");
  const std::string& first = paths[0];
  if (ends_with(first, ".yaml") || ends_with(first, ".yml")) {
    if (paths.size() > 1) fail_invalid("{}: a data YAML names its image stores itself", first);
    dataset::DataConfig config = dataset::DataConfig::load(first);
    std::vector<LayoutSource> out;
    for (const dataset::GroupConfig& group : config.groups) {
      for (const dataset::DatasetConfig& d : group.datasets) {
        out.push_back(source_of(d.name, d.mimicit_path, d.images_paths));
        out.back().group = dataset::group_name(group.group);
      }
    }
    if (!task.empty()) {
      if (out.size() != 1) fail_invalid("--task names one dataset; {} has {}", first, out.size());
      out[0].task = task;
    }
    return out;
  }
  return {source_of(task, first, std::vector<std::string>(paths.begin() + 1, paths.end()))};
}

LayoutReport convert_layout(const LayoutOptions& options) {
  auto start = std::chrono::steady_clock::now();
  check(options);
  fs::path out = internal::output_path(ConvertOptions{.out = options.out});
  fs::create_directories(out.parent_path());
  remove_stale_temporaries(out.string());
  LockedTempDir temp_dir(out.string());
  Run run(options, out, fs::path(temp_dir.path()));
  try {
    std::vector<hf::CardConfig> card;
    YamlGroups yaml_groups;
    std::set<std::string> llava_files;
    for (const LayoutSource& s : options.datasets) {
      with_context(fmt::format("task '{}'", s.task), [&] {
        switch (options.to) {
          case Layout::kHf: write_hf(run, s, card); break;
          case Layout::kOtter: write_otter(run, s, yaml_groups); break;
          case Layout::kLlava: write_llava(run, s, llava_files); break;
        }
      });
      ++run.report.datasets;
    }
    auto write_text = [&](const std::string& name, const std::string& text) {
      AtomicFileWriter f((run.temp / name).string());
      f.write(as_bytes(text));
      f.commit();
      ++run.report.files;
      run.report.bytes_out += text.size();
    };
    if (options.to == Layout::kHf) {
      std::string source =
          options.datasets.size() == 1 ? options.datasets[0].instructions : "several datasets";
      write_text("README.md", hf::dataset_card(card, source));
    }
    if (options.to == Layout::kOtter) {
      std::string yaml;
      for (const auto& [group, lines] : yaml_groups) yaml += group + ":\n" + lines;
      write_text("data.yaml", yaml);
    }
    internal::commit_dir(run.temp, out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(run.temp, ignored);
    throw;
  }
  run.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run.report;
}

}  // namespace mimicit::convert
