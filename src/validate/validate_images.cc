// Image stores: ids the reference cannot look up (duplicate_image) and, with
// decode, images it cannot use (bad_base64, undecodable_image, tiny_image)
// and base64 that needed leniency (lenient_base64, a notice).
// Findings are kept per store up to Options::max_problems of a kind (the
// first by id); the rest are only counted.
#include <algorithm>
#include <array>
#include <iterator>
#include <tuple>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "store/store_scan.h"
#include "util/progress.h"
#include "validate/validate_internal.h"

namespace mimicit::validate::internal {

namespace {

// Findings of one kind in one store, the first `cap` by image id.
class KeptFindings {
 public:
  explicit KeptFindings(uint64_t cap) : cap_(cap) {}

  void add(std::string id, std::string detail) {
    ++count_;
    kept_.emplace_back(std::move(id), std::move(detail));
    if (cap_ != 0 && kept_.size() >= 2 * cap_) trim();
  }
  // The kept findings, sorted by id; sets *omitted to the rest's count.
  std::vector<std::pair<std::string, std::string>>& finish(uint64_t* omitted) {
    trim();
    std::sort(kept_.begin(), kept_.end());
    *omitted = count_ - kept_.size();
    return kept_;
  }

 private:
  void trim() {
    if (cap_ == 0 || kept_.size() <= cap_) return;
    std::nth_element(kept_.begin(), kept_.begin() + static_cast<ptrdiff_t>(cap_), kept_.end());
    kept_.resize(cap_);
  }

  uint64_t cap_;
  uint64_t count_ = 0;
  std::vector<std::pair<std::string, std::string>> kept_;
};

struct DecodeItem {
  std::string id;
  size_t rank = 0;
  Buffer bytes;
  Base64Leniency leniency = Base64Leniency::kNone;
  bool bad = false;
  Kind kind = Kind::kUndecodableImage;
  std::string detail;
};

// A payload that cannot be read: its base64 text (the decoder's messages
// start "base64: ") or anything else (a page, a null payload).
void fetch_payload(const ImageStore& store, DecodeItem& item) {
  item.bad = false;
  item.detail.clear();
  item.leniency = Base64Leniency::kNone;
  try {
    store.get(item.id, item.bytes, &item.leniency);
  } catch (const Error& e) {
    item.bytes.clear();
    item.bad = true;
    const bool base64 = e.message().find("base64: ") != std::string::npos;
    item.kind = base64 ? Kind::kBadBase64 : Kind::kUndecodableImage;
    item.detail = e.message();
  }
}

void decode_payload(DecodeItem& item, uint32_t min_side, uint64_t max_pixels) {
  if (item.bad) return;
  try {
    const image::RgbImage image = image::decode_rgb(item.bytes.view(), {.max_pixels = max_pixels});
    if (image.width < min_side || image.height < min_side) {
      item.bad = true;
      item.kind = Kind::kTinyImage;
      item.detail = fmt::format("{}x{} pixels: under {} pixels a side", image.width, image.height, min_side);
    }
  } catch (const Error& e) {
    item.bad = true;
    item.kind = Kind::kUndecodableImage;
    item.detail = e.message();
  }
}

}  // namespace

void ImageFindings::add(ImageFinding finding) {
  auto [it, fresh] = index.try_emplace({finding.kind, finding.image_id, finding.file}, findings.size());
  if (fresh) {
    findings.push_back(std::move(finding));
    return;
  }
  std::vector<size_t>& groups = findings[it->second].groups;
  for (size_t g : finding.groups) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
}

void find_duplicate_images(const std::vector<StoreState>& all, const std::vector<StoreUse>& uses,
                           size_t group, const Options& options, ImageFindings& findings, Collector& out) {
  auto add = [&](const StoreUse& use, std::string id, std::string detail) {
    ImageFinding finding;
    finding.kind = Kind::kDuplicateImage;
    finding.image_id = std::move(id);
    finding.file = all[use.store].path;
    finding.detail = std::move(detail);
    finding.groups = {group};
    finding.fallback_group = group;
    finding.fallback_dataset = use.dataset;
    findings.add(std::move(finding));
  };
  const uint64_t cap = options.max_problems;
  for (const StoreUse& use : uses) {
    const StoreState& state = all[use.store];
    const std::vector<DuplicateId>& duplicates = state.store->duplicates();
    const size_t kept = cap == 0 ? duplicates.size() : std::min<size_t>(duplicates.size(), cap);
    for (size_t i = 0; i < kept; ++i) {
      add(use, duplicates[i].id,
          fmt::format("appears {} times in store {}: the reference's lookup of it fails",
                      duplicates[i].occurrences, state.path));
    }
    out.count_omitted(Kind::kDuplicateImage, duplicates.size() - kept);
  }
  // Ids in two stores of the group: each pair once.
  for (size_t i = 0; i < uses.size(); ++i) {
    for (size_t j = i + 1; j < uses.size(); ++j) {
      const StoreState& a = all[uses[i].store];
      const StoreState& b = all[uses[j].store];
      KeptFindings both(cap);
      a.store->for_each_id([&](std::string_view id) {
        if (b.store->contains(id)) {
          both.add(std::string(id),
                   fmt::format("in two stores of the group, {} and {}: the reference's lookup of it fails",
                               a.path, b.path));
        }
        return true;
      });
      uint64_t omitted = 0;
      for (auto& [id, detail] : both.finish(&omitted)) add(uses[i], std::move(id), std::move(detail));
      out.count_omitted(Kind::kDuplicateImage, omitted);
    }
  }
}

DecodeResult decode_images(const ImageStore& store, StoragePlace begin, StoragePlace end,
                           const Options& options, WorkerPool& pool, Progress* progress) {
  std::array<KeptFindings, 4> kept{KeptFindings(options.max_problems), KeptFindings(options.max_problems),
                                   KeptFindings(options.max_problems), KeptFindings(options.max_problems)};
  constexpr std::array<Kind, 4> kKinds = {Kind::kBadBase64, Kind::kUndecodableImage, Kind::kTinyImage,
                                          Kind::kLenientBase64};
  auto slot = [&](Kind kind) {
    return static_cast<size_t>(std::find(kKinds.begin(), kKinds.end(), kind) - kKinds.begin());
  };
  DecodeResult result;
  scan_store_range<DecodeItem>(
      store, begin, end, pool, [&](DecodeItem& item) { fetch_payload(store, item); },
      [&](DecodeItem& item) { decode_payload(item, options.min_image_side, options.max_pixels); },
      [&](DecodeItem& item) {
        ++result.images;
        if (progress) progress->advance(1, item.bytes.size());
        if (item.leniency != Base64Leniency::kNone) {
          kept[slot(Kind::kLenientBase64)].add(item.id, "base64 " + describe(item.leniency));
        }
        if (item.bad) kept[slot(item.kind)].add(item.id, std::move(item.detail));
      });
  for (size_t k = 0; k < kKinds.size(); ++k) {
    uint64_t omitted = 0;
    auto& found = kept[k].finish(&omitted);
    result.counts[static_cast<size_t>(kKinds[k])] = found.size() + omitted;
    for (auto& [id, detail] : found) {
      result.kept.push_back({.kind = kKinds[k], .image_id = std::move(id), .detail = std::move(detail)});
    }
  }
  return result;
}

uint64_t add_decoded(const StoreState& state, const std::vector<size_t>& groups,
                     std::pair<size_t, size_t> fallback, DecodeResult result, ImageFindings& findings,
                     Collector& out) {
  std::array<uint64_t, kNumKinds> listed{};
  for (DecodedImage& image : result.kept) {
    ++listed[static_cast<size_t>(image.kind)];
    ImageFinding finding;
    finding.kind = image.kind;
    finding.image_id = std::move(image.image_id);
    finding.file = state.path;
    finding.detail = std::move(image.detail);
    finding.groups = groups;
    finding.fallback_group = fallback.first;
    finding.fallback_dataset = fallback.second;
    findings.add(std::move(finding));
  }
  for (Kind kind : kAllKinds) {
    const size_t k = static_cast<size_t>(kind);
    if (result.counts[k] > listed[k]) out.count_omitted(kind, result.counts[k] - listed[k]);
  }
  return result.images;
}

uint64_t decode_store(const StoreState& state, const std::vector<size_t>& groups,
                      std::pair<size_t, size_t> fallback, const Options& options, WorkerPool& pool,
                      ImageFindings& findings, Collector& out) {
  Progress progress("decoding " + state.path, state.store->size(), options.progress);
  DecodeResult result = decode_images(*state.store, {}, StoragePlace::end(), options, pool, &progress);
  progress.finish();
  return add_decoded(state, groups, fallback, std::move(result), findings, out);
}

}  // namespace mimicit::validate::internal

namespace mimicit::validate {

void DecodeResult::merge(DecodeResult&& piece, uint64_t max_problems) {
  images += piece.images;
  for (size_t k = 0; k < kNumKinds; ++k) counts[k] += piece.counts[k];
  kept.insert(kept.end(), std::make_move_iterator(piece.kept.begin()),
              std::make_move_iterator(piece.kept.end()));
  std::sort(kept.begin(), kept.end(), [](const DecodedImage& a, const DecodedImage& b) {
    return std::tie(a.kind, a.image_id, a.detail) < std::tie(b.kind, b.image_id, b.detail);
  });
  if (max_problems == 0) return;
  // The first max_problems of each kind: kept is sorted by kind.
  std::vector<DecodedImage> trimmed;
  uint64_t run = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    run = i > 0 && kept[i].kind == kept[i - 1].kind ? run + 1 : 0;
    if (run < max_problems) trimmed.push_back(std::move(kept[i]));
  }
  kept = std::move(trimmed);
}

DecodeResult decode_range(const std::string& store_path, StoragePlace begin, StoragePlace end,
                          const Options& options) {
  if (options.threads < 0 || options.threads > 1024) {
    fail_invalid("threads must be 0 (all cores) to 1024, not {}", options.threads);
  }
  auto store = ImageStore::open(store_path, store_options(options));
  WorkerPool pool(options.threads);
  return internal::decode_images(*store, begin, end, options, pool, nullptr);
}

}  // namespace mimicit::validate
