// `mimicit demo`: the bundled demo data through the main job.
//
// The demo images live in the source tree's demo/images folder. They are
// converted (convert::convert_images, ZSTD) into the image store
// OUTDIR/demo_store: part.0.parquet with columns `__index_level_0__` (the
// id: the file name without its extension, the pandas index) and `base64`,
// sorted by id, with statistics, page index and a bloom filter on the id.
#pragma once

#include <filesystem>

namespace mimicit::convert {

// The demo folder: $MIMICIT_DEMO_DIR when set, else "../demo" beside the
// running executable (build/mimicit -> demo/), read from /proc/self/exe.
std::filesystem::path resolve_demo_dir();

// Converts <demo_dir>/images into <out_dir>/demo_store (creating out_dir if
// needed) and returns the store's path. Throws mimicit::Error when the
// folder has no image or I/O fails.
std::filesystem::path write_demo_store(const std::filesystem::path& demo_dir,
                                       const std::filesystem::path& out_dir);

}  // namespace mimicit::convert
