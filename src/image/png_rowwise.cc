// The PNG decoder's row-by-row path (png_internal.h): Pillow's own reading
// of the image data, step for step, so that damaged files come out as
// Pillow leaves them with ImageFile.LOAD_TRUNCATED_IMAGES:
//   - PngImageFile.load_read hands the decoder the data of consecutive IDAT
//     chunks (CRCs unchecked) in pieces of at most 64 KiB that never cross
//     a chunk; the first other chunk, or the end of the file, ends the data;
//   - ZipDecode.c inflates each piece with zlib (Z_NO_FLUSH), asking for
//     exactly the rest of the current scanline, and unfilters and stores a
//     scanline as soon as it is whole. It stops at the last scanline, at the
//     end of the zlib stream, at a zlib error (the scanline being inflated
//     is lost) and at a filter type above 4 (that scanline is lost).
// So a file cut anywhere keeps every whole scanline before the cut (a cut
// inside the zlib header keeps none, without an error), and a wrong adler32
// costs the last scanline when zlib reaches the checksum in the piece that
// completes it (one IDAT chunk holding the end of the stream), nothing when
// the checksum lies in a later piece: zlib stops asking once the image is
// full.
#include <zlib.h>

#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

constexpr size_t kPillowBlock = 64 * 1024;  // ImageFile.decodermaxblock
constexpr size_t kSlack = 16;               // png_unfilter_row's reads past the end

// PngImageFile.load_read over the file: the pieces of image data, from the
// first IDAT chunk (whose header starts at `first_idat`) on.
class IdatPieces {
 public:
  IdatPieces(ByteView file, size_t first_idat)
      : file_(file), pos_(first_idat + 8), left_(load_be32(&file[first_idat])) {}

  // The next piece; empty when Pillow stops reading (another chunk, a chunk
  // header cut short, or the end of the file).
  ByteView next() {
    while (left_ == 0) {
      pos_ += 4;  // the CRC, never checked
      if (remaining() < 8 || std::memcmp(&file_[pos_ + 4], "IDAT", 4) != 0) return {};
      left_ = load_be32(&file_[pos_]);  // empty IDAT chunks are skipped
      pos_ += 8;
    }
    const size_t want = left_ < kPillowBlock ? left_ : kPillowBlock;
    left_ -= want;
    const size_t got = want < remaining() ? want : remaining();
    ByteView piece(file_.data() + pos_, got);
    pos_ += got;
    if (got < want) left_ = 0, pos_ = file_.size();  // the file ends here
    return piece;
  }

 private:
  size_t remaining() const { return pos_ < file_.size() ? file_.size() - pos_ : 0; }

  ByteView file_;
  size_t pos_;
  size_t left_;
};

// Scanline bytes (without the filter byte) of Adam7 pass p, 0 when empty.
size_t pass_row_bytes(const PngLayout& layout, int p) {
  const uint32_t start = kAdam7X0[p], step = kAdam7Dx[p];
  const size_t pixels = layout.width > start ? (layout.width - start + step - 1) / step : 0;
  return (pixels * layout.bits_per_pixel + 7) / 8;
}

struct Inflater {
  z_stream z{};
  Inflater() {
    if (inflateInit(&z) != Z_OK) fail(ErrorCode::kInternal, "png: inflateInit failed");
  }
  ~Inflater() { inflateEnd(&z); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

}  // namespace

void png_decode_rowwise(ByteView file, size_t first_idat, const PngLayout& layout, uint8_t* raw) {
  const size_t full_row_bytes = (size_t(layout.width) * layout.bits_per_pixel + 7) / 8;
  if (full_row_bytes > size_t(INT_MAX) - 1) return;  // Pillow: out of memory, no rows
  const unsigned bpp = layout.bits_per_pixel < 8 ? 1 : layout.bits_per_pixel / 8;
  std::vector<uint8_t> one(full_row_bytes + 1 + kSlack, 0), two(full_row_bytes + 1 + kSlack, 0);
  uint8_t* buffer = one.data();
  uint8_t* previous = two.data();
  int pass = 0;
  uint32_t y = 0;
  size_t row_len = layout.interlaced ? pass_row_bytes(layout, 0) : full_row_bytes;
  size_t have = 0;  // bytes of the current scanline inflated so far (with its filter byte)

  Inflater inflater;
  z_stream& z = inflater.z;
  IdatPieces pieces(file, first_idat);
  for (ByteView piece = pieces.next(); !piece.empty(); piece = pieces.next()) {
    z.next_in = const_cast<Bytef*>(piece.data());
    z.avail_in = uInt(piece.size());
    while (z.avail_in > 0) {
      z.next_out = buffer + have;
      z.avail_out = uInt(row_len + 1 - have);
      const int err = inflate(&z, Z_NO_FLUSH);
      if (err < 0) return;
      have = row_len + 1 - z.avail_out;
      if (have < row_len + 1) break;  // needs more data
      if (!png_unfilter_row(buffer[0], buffer + 1, previous + 1, row_len, bpp)) return;
      if (!layout.interlaced) {
        std::memcpy(raw + size_t(y) * full_row_bytes, buffer + 1, row_len);
        ++y;
      } else {
        uint8_t* target = raw + size_t(y) * full_row_bytes;
        for (uint32_t k = 0, x = kAdam7X0[pass]; x < layout.width; ++k, x += kAdam7Dx[pass]) {
          png_place_pixel(buffer + 1, k, target, x, layout.bits_per_pixel);
        }
        y += kAdam7Dy[pass];
        while (y >= layout.height || row_len == 0) {
          if (++pass == 7) {
            y = layout.height;
            break;
          }
          y = kAdam7Y0[pass];
          row_len = pass_row_bytes(layout, pass);
          std::memset(buffer, 0, full_row_bytes + 1);  // the new pass's "previous" scanline
        }
      }
      have = 0;
      if (y >= layout.height || err == Z_STREAM_END) return;
      std::swap(buffer, previous);
    }
  }
}

void png_check_chunks_after_idat(ByteView file, size_t first_idat, bool animated) {
  size_t pos = first_idat;
  while (file.size() - pos >= 4) {
    const size_t length = load_be32(&file[pos]);
    const size_t after_header = file.size() - pos < 8 ? 0 : file.size() - pos - 8;
    if (file.size() - pos < 8) {  // a cut chunk type: Pillow reads the chunk as unknown
      if (length > 0) fail_corrupt("png: truncated chunk after the image data (Truncated File Read)");
      return;
    }
    const uint8_t* type = &file[pos + 4];
    for (int i = 0; i < 4; ++i) {
      if (type[i] >= 0x80) return;  // not ASCII: Pillow stops reading
    }
    if (std::memcmp(type, "IEND", 4) == 0) return;
    if (animated && std::memcmp(type, "fcTL", 4) == 0) return;
    const bool idat = std::memcmp(type, "IDAT", 4) == 0;
    if (length > after_header) {
      if (idat) return;  // tolerated when loading truncated images
      fail_corrupt("png: chunk {} cut short after the image data (Truncated File Read)",
                   std::string_view(reinterpret_cast<const char*>(type), 4));
    }
    if (after_header - length < 4) return;  // no room for the CRC and another chunk
    pos += 12 + length;
  }
}

}  // namespace mimicit::image::internal
