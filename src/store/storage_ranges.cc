// cut_storage_order: the first pass counts the images of every block (a
// Parquet row group; a whole JSON file or image folder), the second finds
// the place of each cut.
#include "store/storage_ranges.h"

#include <algorithm>
#include <cmath>

#include "mimicit/error.h"

namespace mimicit {

namespace {

struct Block {
  uint32_t file = 0;
  uint64_t block = 0;
  uint64_t first = 0;  // ordinal (position in storage order) of its first image
  uint64_t count = 0;
};

std::vector<Block> count_blocks(const ImageStore& store) {
  std::vector<Block> blocks;
  uint64_t ordinal = 0;
  store.for_each_in_storage_range(
      {}, StoragePlace::end(), [&](std::string_view, size_t, StoragePlace place, uint64_t block) {
        if (blocks.empty() || blocks.back().file != place.file || blocks.back().block != block) {
          blocks.push_back({place.file, block, ordinal, 0});
        }
        ++blocks.back().count;
        ++ordinal;
        return true;
      });
  return blocks;
}

// Ordinals where ranges start, ascending, the first 0.
std::vector<uint64_t> cut_points(const std::vector<Block>& blocks, uint64_t target) {
  std::vector<uint64_t> cuts;
  uint64_t open = 0;  // images in the range being gathered
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& b = blocks[i];
    const bool new_file = i == 0 || blocks[i - 1].file != b.file;
    if (b.count >= target) {
      // A large block: ranges of its own, split evenly.
      const double ratio = static_cast<double>(b.count) / static_cast<double>(target);
      const uint64_t pieces = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(ratio)));
      for (uint64_t k = 0; k < pieces; ++k) cuts.push_back(b.first + k * b.count / pieces);
      open = target;  // the next block starts a new range
      continue;
    }
    if (new_file || open + b.count > target) {
      cuts.push_back(b.first);
      open = 0;
    }
    open += b.count;
  }
  return cuts;
}

}  // namespace

uint64_t range_size_for(uint64_t images, uint64_t pieces) {
  if (pieces == 0) pieces = 1;
  return std::max<uint64_t>(1, (images + pieces - 1) / pieces);
}

std::vector<StorageRange> cut_storage_order(const ImageStore& store, uint64_t range_images) {
  if (range_images == 0) fail_invalid("a range holds at least 1 image");
  const std::vector<uint64_t> cuts = cut_points(count_blocks(store), range_images);
  if (cuts.empty()) return {};
  std::vector<StoragePlace> places;
  size_t next = 0;
  uint64_t ordinal = 0;
  store.for_each_in_storage_range({}, StoragePlace::end(),
                                  [&](std::string_view, size_t, StoragePlace place, uint64_t) {
                                    if (ordinal++ == cuts[next]) {
                                      places.push_back(place);
                                      if (++next == cuts.size()) return false;
                                    }
                                    return true;
                                  });
  if (places.size() != cuts.size()) fail(ErrorCode::kInternal, "the store changed while it was cut");
  std::vector<StorageRange> ranges;
  for (size_t i = 0; i < cuts.size(); ++i) {
    const bool last = i + 1 == cuts.size();
    ranges.push_back({.begin = places[i],
                      .end = last ? StoragePlace::end() : places[i + 1],
                      .images = (last ? store.size() : cuts[i + 1]) - cuts[i]});
  }
  return ranges;
}

}  // namespace mimicit
