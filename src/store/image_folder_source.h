// The image-folder source of an ImageStore: every image file directly in a
// folder (Pillow's extensions of the formats image::decode_rgb reads: .jpg
// .jpeg .jpe .jfif .png .webp .gif .bmp .dib .tif .tiff .pbm .pgm .ppm .pnm
// .tga .icb .vda .vst .ico .pcx .jp2 .j2k .jpc .jpf .jpx .j2c .avif .avifs,
// any case; hidden files skipped),
// id = file name without its extension, locator = position in the sorted
// file list. fetch() reads the file as it is at that moment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/source.h"

namespace mimicit::store {

// True for a file name with one of the image extensions above.
bool has_image_extension(std::string_view name);

class ImageFolderSource final : public Source {
 public:
  // Lists the folder; throws Error(kIo) naming it when it cannot be listed.
  // Files over max_image_bytes are Error(kLimit) in fetch().
  ImageFolderSource(std::string dir, uint64_t max_image_bytes);

  const std::string& path() const override { return dir_; }
  PayloadKind payload_kind() const override { return PayloadKind::kImageFile; }
  void scan_ids(const std::function<void(std::string_view, uint64_t)>& fn) const override;
  void fetch(uint64_t locator, std::string_view id, Buffer& out, Base64Leniency* leniency) const override;

  size_t num_files() const { return names_.size(); }
  // A hash of the sorted file names: a saved index stays valid while the
  // listing is the same (writing the index into the folder changes the
  // folder's mtime, so the mtime cannot serve).
  uint64_t fingerprint() const { return fingerprint_; }

 private:
  std::string dir_;
  std::vector<std::string> names_;  // sorted
  uint64_t fingerprint_ = 0;
  uint64_t max_image_bytes_;
};

}  // namespace mimicit::store
