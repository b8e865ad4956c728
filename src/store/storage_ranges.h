// A full pass over a store cut into pieces, for running it on several
// processes or machines (a sharded convert, validate's decode pass on a
// cluster). Each piece is a range of storage order
// (ImageStore::for_each_in_storage_range) that reads its own part of the
// files.
#pragma once

#include <cstdint>
#include <vector>

#include "mimicit/image_store.h"

namespace mimicit {

struct StorageRange {
  StoragePlace begin;
  StoragePlace end;
  uint64_t images = 0;  // images placed in [begin, end)
};

// Ranges of about `range_images` images (at least 1) covering storage order
// exactly, in order; none for an empty store. A range never spans two
// files. Within a file, blocks (Parquet row groups) are gathered whole into
// ranges of at most `range_images` images, so each row group's dictionary
// and pages are read by one piece; a block of `range_images` or more is
// split into equal runs of about that size. Reads the index only (two
// passes over it), never an image.
std::vector<StorageRange> cut_storage_order(const ImageStore& store, uint64_t range_images);

// The size of `pieces` about equal ranges of `images` images (at least 1).
uint64_t range_size_for(uint64_t images, uint64_t pieces);

}  // namespace mimicit
