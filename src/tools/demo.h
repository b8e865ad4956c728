// `mimicit demo`: writes the bundled demo image store.
//
// The demo images live in the source tree's demo/images folder. They become
// OUTDIR/demo_images.parquet, an image store shaped like the ones pandas
// writes: one row per image, sorted by id, with columns `__index_level_0__`
// (the id: the file name without its extension) and `base64` (the base64
// text of the file's bytes), both strings, `__index_level_0__` named as the
// pandas index; ZSTD, statistics, page index, and a bloom filter on the id.
#pragma once

#include <filesystem>
#include <string>

namespace mimicit::tools {

// The demo folder: $MIMICIT_DEMO_DIR when set, else "../demo" beside the
// running executable (build/mimicit -> demo/), read from /proc/self/exe.
std::filesystem::path resolve_demo_dir();

// Writes <out_dir>/demo_images.parquet from <demo_dir>/images (creating
// out_dir if needed) and returns its path. Files whose extension is not one
// of .png .jpg .jpeg .gif .webp .bmp are skipped. Throws mimicit::Error
// when the folder has no image, two images share an id, or I/O fails.
std::filesystem::path write_demo_store(const std::filesystem::path& demo_dir,
                                       const std::filesystem::path& out_dir);

}  // namespace mimicit::tools
