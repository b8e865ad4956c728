// TIFF through libtiff (Debian's), read as Pillow's TiffImagePlugin and
// TiffDecode.c read it, then convert("RGB"). The first image (IFD 0).
//
// Pillow's mode and "raw mode" (its unpacker) come from the byte order,
// photometric interpretation, sample format, fill order, bits per sample
// and extra samples (TiffImagePlugin.OPEN_INFO); combinations it does not
// list fail ("unknown pixel mode"), as do its modes without a conversion to
// RGB ("La", premultiplied grey). Covered: bilevel (either photometric, fill
// order 2 included), 2/4/8-bit grey, grey + alpha, 16-bit grey ("I;16",
// clipped to 255), 12-bit grey, signed 16- and 32-bit integers ("I",
// clipped), 32-bit floats ("F", clipped and truncated), 1/2/4/8-bit
// palettes (COLORMAP, 16-bit entries cut to their high byte), RGB and RGBA
// at 8 and 16 bits (the high byte) with extra samples, premultiplied alpha
// undone as Pillow does, CMYK (8/16 bits), YCbCr. LAB is kUnsupported.
//
// Two paths, as in Pillow:
//   - uncompressed data: Pillow's own reader, strip by strip (or tile by
//     tile) from each offset, whole rows as far as the file goes (a cut
//     file keeps its whole rows); planar data (one plane per sample) at 8
//     bits; YCbCr taken as it is stored (no subsampling), through Pillow's
//     YCbCr formula;
//   - compressed data: libtiff, opened over the bytes with Pillow's flags,
//     strip by strip or tile by tile (TIFFReadEncodedStrip/TIFFReadTile)
//     into Pillow's unpackers; YCbCr through libtiff's RGBA interface, or
//     libjpeg's RGB output for JPEG-compressed contiguous YCbCr. Any libtiff
//     error (a cut or corrupt file) fails the image, as Pillow raises then.
// The Orientation tag is applied (Pillow's TIFF loader transposes the image
// by it).
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

// ---------------------------------------------------------------------------
// libtiff over memory, as TiffDecode.c opens it (read, seek, size and a
// mapping of the buffer), errors and warnings kept quiet.

struct MemoryFile {
  ByteView bytes;
  uint64_t pos = 0;
};

tsize_t read_proc(thandle_t h, tdata_t buf, tsize_t size) {
  auto* f = static_cast<MemoryFile*>(h);
  if (f->pos > f->bytes.size()) return 0;
  const uint64_t n = std::min<uint64_t>(uint64_t(size), f->bytes.size() - f->pos);
  std::memcpy(buf, f->bytes.data() + f->pos, n);
  f->pos += n;
  return tsize_t(n);
}
tsize_t write_proc(thandle_t, tdata_t, tsize_t) { return 0; }
toff_t seek_proc(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  if (whence == SEEK_SET) f->pos = off;
  if (whence == SEEK_CUR) f->pos += off;
  if (whence == SEEK_END) f->pos = f->bytes.size() + off;
  return f->pos;
}
int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) { return static_cast<MemoryFile*>(h)->bytes.size(); }
int map_proc(thandle_t h, tdata_t* base, toff_t* size) {
  auto* f = static_cast<MemoryFile*>(h);
  *base = const_cast<uint8_t*>(f->bytes.data());
  *size = f->bytes.size();
  return 1;
}
void unmap_proc(thandle_t, tdata_t, toff_t) {}
int quiet(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct Tiff {
  MemoryFile file;
  TIFF* tif = nullptr;
  Tiff(ByteView bytes, const char* mode) : file{bytes, 0} {
    TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
    if (options == nullptr) fail(ErrorCode::kInternal, "tiff: TIFFOpenOptionsAlloc failed");
    TIFFOpenOptionsSetErrorHandlerExtR(options, quiet, nullptr);
    TIFFOpenOptionsSetWarningHandlerExtR(options, quiet, nullptr);
    tif = TIFFClientOpenExt("tempfile.tif", mode, &file, read_proc, write_proc, seek_proc, close_proc,
                            size_proc, map_proc, unmap_proc, options);
    TIFFOpenOptionsFree(options);
  }
  ~Tiff() {
    if (tif) TIFFClose(tif);
  }
  Tiff(const Tiff&) = delete;
  Tiff& operator=(const Tiff&) = delete;
};

// ---------------------------------------------------------------------------
// Pillow's modes and unpackers.

enum class Mode { k1, kL, kLA, kP, kPA, kI16, kI, kF, kRgb, kRgba, kCmyk, kYcbcr };

size_t pixel_bytes(Mode m) {
  switch (m) {
    case Mode::k1:
    case Mode::kL:
    case Mode::kP: return 1;
    case Mode::kI16: return 2;
    default: return 4;
  }
}

// The raw modes of OPEN_INFO (and their libtiff "native" variants).
enum class Raw {
  k1,
  k1I,
  k1R,
  k1IR,
  kL2,
  kL2I,
  kL2R,
  kL2IR,
  kL4,
  kL4I,
  kL4R,
  kL4IR,
  kL,
  kLI,
  kLR,
  kLX,
  kLA,
  kI12,
  kI16L,
  kI16B,
  kI16R,
  kI16S,
  kI16BS,
  kI32,
  kI32B,
  kF32,
  kF32B,
  kP1,
  kP2,
  kP4,
  kP,
  kPR,
  kPX,
  kPA,
  kRgb,
  kRgbR,
  kRgbX,
  kRgbXX,
  kRgbXXX,
  kRgba,
  kRgbaX,
  kRgbaXX,
  kRgbPre,
  kRgbPreX,
  kRgbPreXX,
  kRgb16L,
  kRgb16B,
  kRgbX16L,
  kRgbX16B,
  kRgba16L,
  kRgba16B,
  kRgbPre16L,
  kRgbPre16B,
  kCmyk,
  kCmykX,
  kCmykXX,
  kCmyk16L,
  kCmyk16B,
  kYcbcr,
  kBand8,
  kBand16L,  // one sample of a planar image (TiffDecode.c, Pillow's raw reader)
};

// Bits per pixel of the unpacker (Pillow's state->bits).
unsigned raw_bits(Raw r) {
  switch (r) {
    case Raw::k1:
    case Raw::k1I:
    case Raw::k1R:
    case Raw::k1IR:
    case Raw::kP1: return 1;
    case Raw::kL2:
    case Raw::kL2I:
    case Raw::kL2R:
    case Raw::kL2IR:
    case Raw::kP2: return 2;
    case Raw::kL4:
    case Raw::kL4I:
    case Raw::kL4R:
    case Raw::kL4IR:
    case Raw::kP4: return 4;
    case Raw::kL:
    case Raw::kLI:
    case Raw::kLR:
    case Raw::kP:
    case Raw::kPR:
    case Raw::kBand8: return 8;
    case Raw::kI12: return 12;
    case Raw::kLX:
    case Raw::kLA:
    case Raw::kPX:
    case Raw::kPA:
    case Raw::kI16L:
    case Raw::kI16B:
    case Raw::kI16R:
    case Raw::kI16S:
    case Raw::kI16BS:
    case Raw::kBand16L: return 16;
    case Raw::kRgb:
    case Raw::kRgbR:
    case Raw::kYcbcr: return 24;
    case Raw::kI32:
    case Raw::kI32B:
    case Raw::kF32:
    case Raw::kF32B:
    case Raw::kRgbX:
    case Raw::kRgba:
    case Raw::kRgbPre:
    case Raw::kCmyk: return 32;
    case Raw::kRgbXX:
    case Raw::kRgbaX:
    case Raw::kRgbPreX:
    case Raw::kCmykX: return 40;
    case Raw::kRgbXXX:
    case Raw::kRgbaXX:
    case Raw::kRgbPreXX:
    case Raw::kCmykXX:
    case Raw::kRgb16L:
    case Raw::kRgb16B: return 48;
    default: return 64;
  }
}

// libtiff hands samples over in native (little-endian) order: Pillow's
// ";16N" raw modes.
Raw native(Raw r) {
  switch (r) {
    case Raw::kI16B: return Raw::kI16L;
    case Raw::kRgb16B: return Raw::kRgb16L;
    case Raw::kRgbX16B: return Raw::kRgbX16L;
    case Raw::kRgba16B: return Raw::kRgba16L;
    case Raw::kRgbPre16B: return Raw::kRgbPre16L;
    case Raw::kCmyk16B: return Raw::kCmyk16L;
    default: return r;
  }
}

constexpr uint8_t bitflip(uint8_t v) {
  uint8_t r = 0;
  for (int i = 0; i < 8; ++i) r = uint8_t(r | ((v >> i) & 1) << (7 - i));
  return r;
}

uint8_t clip8(int v) { return uint8_t(v <= 0 ? 0 : v >= 255 ? 255 : v); }

// Pillow's unpremultiplying unpackers ("RGBa"): c * 255 / a, truncated.
void unpremultiply(uint8_t r, uint8_t g, uint8_t b, uint8_t a, uint8_t* out) {
  if (a == 0) {
    out[0] = out[1] = out[2] = out[3] = 0;
  } else if (a == 255) {
    out[0] = r, out[1] = g, out[2] = b, out[3] = a;
  } else {
    out[0] = clip8(r * 255 / a), out[1] = clip8(g * 255 / a), out[2] = clip8(b * 255 / a), out[3] = a;
  }
}

// Samples of `bits` (1, 2, 4) packed most significant first.
unsigned packed(const uint8_t* in, uint32_t i, unsigned bits, bool reversed) {
  const size_t bit = size_t(i) * bits;
  uint8_t byte = in[bit >> 3];
  if (reversed) byte = bitflip(byte);
  return (byte >> (8 - bits - (bit & 7))) & ((1u << bits) - 1);
}

void put32(uint8_t* out, uint32_t v) { std::memcpy(out, &v, 4); }

// Pillow's shuffle: `pixels` pixels of `in` (raw mode r) into Pillow's
// storage (pixel_bytes of the mode per pixel); `band` for the planar ones.
void unpack(Raw r, const uint8_t* in, uint8_t* out, uint32_t pixels, int band = 0) {
  for (uint32_t i = 0; i < pixels; ++i) {
    uint8_t* o4 = out + 4 * size_t(i);
    switch (r) {
      case Raw::k1: out[i] = packed(in, i, 1, false) ? 255 : 0; break;
      case Raw::k1I: out[i] = packed(in, i, 1, false) ? 0 : 255; break;
      case Raw::k1R: out[i] = packed(in, i, 1, true) ? 255 : 0; break;
      case Raw::k1IR: out[i] = packed(in, i, 1, true) ? 0 : 255; break;
      case Raw::kL2: out[i] = uint8_t(packed(in, i, 2, false) * 0x55); break;
      case Raw::kL2I: out[i] = uint8_t(0xFF - packed(in, i, 2, false) * 0x55); break;
      case Raw::kL2R: out[i] = uint8_t(packed(in, i, 2, true) * 0x55); break;
      case Raw::kL2IR: out[i] = uint8_t(0xFF - packed(in, i, 2, true) * 0x55); break;
      case Raw::kL4: out[i] = uint8_t(packed(in, i, 4, false) * 0x11); break;
      case Raw::kL4I: out[i] = uint8_t(0xFF - packed(in, i, 4, false) * 0x11); break;
      case Raw::kL4R: out[i] = uint8_t(packed(in, i, 4, true) * 0x11); break;
      case Raw::kL4IR: out[i] = uint8_t(0xFF - packed(in, i, 4, true) * 0x11); break;
      case Raw::kL:
      case Raw::kP: out[i] = in[i]; break;
      case Raw::kLI: out[i] = uint8_t(~in[i]); break;
      case Raw::kLR:
      case Raw::kPR: out[i] = bitflip(in[i]); break;
      case Raw::kLX:
      case Raw::kPX: out[i] = in[2 * i]; break;
      case Raw::kLA:
      case Raw::kPA: o4[0] = o4[1] = o4[2] = in[2 * i], o4[3] = in[2 * i + 1]; break;
      case Raw::kP1: out[i] = uint8_t(packed(in, i, 1, false)); break;
      case Raw::kP2: out[i] = uint8_t(packed(in, i, 2, false)); break;
      case Raw::kP4: out[i] = uint8_t(packed(in, i, 4, false)); break;
      case Raw::kI12: {
        const uint8_t* p = in + (i / 2) * 3;
        const uint16_t v = i % 2 == 0 ? uint16_t(p[0] << 4 | p[1] >> 4) : uint16_t((p[1] & 0x0F) << 8 | p[2]);
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case Raw::kI16L: {
        const uint16_t v = load_le16(in + 2 * i);
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case Raw::kI16B: {
        const uint16_t v = load_be16(in + 2 * i);
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case Raw::kI16R: {
        const uint16_t v = uint16_t(bitflip(in[2 * i]) | bitflip(in[2 * i + 1]) << 8);
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case Raw::kI16S: put32(o4, uint32_t(int32_t(int16_t(load_le16(in + 2 * i))))); break;
      case Raw::kI16BS: put32(o4, uint32_t(int32_t(int16_t(load_be16(in + 2 * i))))); break;
      case Raw::kI32:
      case Raw::kF32: put32(o4, load_le32(in + 4 * i)); break;
      case Raw::kI32B:
      case Raw::kF32B: put32(o4, load_be32(in + 4 * i)); break;
      case Raw::kRgb:
      case Raw::kYcbcr: o4[0] = in[3 * i], o4[1] = in[3 * i + 1], o4[2] = in[3 * i + 2], o4[3] = 255; break;
      case Raw::kRgbR:
        o4[0] = bitflip(in[3 * i]), o4[1] = bitflip(in[3 * i + 1]), o4[2] = bitflip(in[3 * i + 2]),
        o4[3] = 255;
        break;
      case Raw::kRgbX:
      case Raw::kRgbXX:
      case Raw::kRgbXXX:
      case Raw::kRgba:
      case Raw::kRgbaX:
      case Raw::kRgbaXX:
      case Raw::kCmyk:
      case Raw::kCmykX:
      case Raw::kCmykXX: {
        const uint8_t* p = in + size_t(i) * (raw_bits(r) / 8);
        std::memcpy(o4, p, 4);
        if (r == Raw::kRgbX || r == Raw::kRgbXX || r == Raw::kRgbXXX) o4[3] = 255;
        break;
      }
      case Raw::kRgbPre:
      case Raw::kRgbPreX:
      case Raw::kRgbPreXX: {
        const uint8_t* p = in + size_t(i) * (raw_bits(r) / 8);
        unpremultiply(p[0], p[1], p[2], p[3], o4);
        break;
      }
      case Raw::kRgb16L:
        o4[0] = in[6 * i + 1], o4[1] = in[6 * i + 3], o4[2] = in[6 * i + 5], o4[3] = 255;
        break;
      case Raw::kRgb16B: o4[0] = in[6 * i], o4[1] = in[6 * i + 2], o4[2] = in[6 * i + 4], o4[3] = 255; break;
      case Raw::kRgbX16L:
      case Raw::kRgba16L:
      case Raw::kCmyk16L: {
        const uint8_t* p = in + 8 * size_t(i);
        o4[0] = p[1], o4[1] = p[3], o4[2] = p[5], o4[3] = r == Raw::kRgbX16L ? 255 : p[7];
        break;
      }
      case Raw::kRgbX16B:
      case Raw::kRgba16B:
      case Raw::kCmyk16B: {
        const uint8_t* p = in + 8 * size_t(i);
        o4[0] = p[0], o4[1] = p[2], o4[2] = p[4], o4[3] = r == Raw::kRgbX16B ? 255 : p[6];
        break;
      }
      case Raw::kRgbPre16L: {
        const uint8_t* p = in + 8 * size_t(i);
        unpremultiply(p[1], p[3], p[5], p[7], o4);
        break;
      }
      case Raw::kRgbPre16B: {
        const uint8_t* p = in + 8 * size_t(i);
        unpremultiply(p[0], p[2], p[4], p[6], o4);
        break;
      }
      case Raw::kBand8: o4[band] = in[i]; break;
      case Raw::kBand16L: o4[band] = in[2 * i + 1]; break;
    }
  }
}

// ---------------------------------------------------------------------------
// The tags Pillow reads, and its mode and tile layout.

// The tags Pillow reads (TiffImagePlugin), with its defaults.
struct Tags {
  bool big_endian = false;
  uint32_t width = 0, height = 0;
  uint16_t compression = COMPRESSION_NONE;
  uint16_t planar = PLANARCONFIG_CONTIG;
  uint16_t photometric = 0;
  uint16_t fill_order = 1;
  uint16_t sample_format = 1;
  bool mixed_sample_formats = false;
  std::vector<uint64_t> bits;  // BitsPerSample, as stored
  int samples = 1;
  std::vector<uint64_t> extra;
  uint64_t orientation = 1;
  bool tiled = false;
  uint64_t rows_per_strip = 0;  // 0: the tag is missing
  uint64_t tile_width = 0, tile_length = 0;
  std::vector<uint64_t> offsets;   // strip or tile offsets
  std::vector<uint64_t> colormap;  // r..., g..., b...
  uint64_t ifd_offset = 0;
};

// ImageFileDirectory_v2.load over IFD 0: entries are read one by one until
// one is cut short; out-of-line data that the file does not hold whole ends
// the reading too (Pillow's _safe_read raises), keeping the tags before it;
// a tag seen twice keeps its first value; unknown types are skipped.
class PillowIfd {
 public:
  explicit PillowIfd(ByteView b) : b_(b) {
    if (b.size() < 8) fail_corrupt("tiff: truncated header");
    big_endian_ = b[0] == 'M';
    bigtiff_ = b[2] == 43;
    if (bigtiff_ && b.size() < 16) fail_corrupt("tiff: truncated header");
    offset_ = bigtiff_ ? u64(8) : u32(4);
    if (offset_ == 0) fail_corrupt("tiff: no more images in TIFF file");
    load();
  }

  bool big_endian() const { return big_endian_; }
  uint64_t offset() const { return offset_; }
  bool has(uint16_t tag) const { return find(tag) != nullptr; }

  // Integer values of a tag (empty when missing or not integers).
  std::vector<uint64_t> ints(uint16_t tag) const {
    std::vector<uint64_t> values;
    const Entry* e = find(tag);
    if (!e) return values;
    const unsigned unit = unit_size(e->type);
    for (size_t i = 0; i < e->data.size() / unit; ++i) {
      const uint8_t* p = e->data.data() + i * unit;
      switch (e->type) {
        case 1:
        case 6: values.push_back(e->type == 6 ? uint64_t(int64_t(int8_t(p[0]))) : p[0]); break;
        case 3: values.push_back(load16(p)); break;
        case 8: values.push_back(uint64_t(int64_t(int16_t(load16(p))))); break;
        case 4:
        case 13: values.push_back(load32(p)); break;
        case 9: values.push_back(uint64_t(int64_t(int32_t(load32(p))))); break;
        case 16:
          values.push_back(uint64_t(load32(big_endian_ ? p : p + 4)) << 32 | load32(big_endian_ ? p + 4 : p));
          break;
        default: return {};  // rationals, floats, strings: not integers
      }
    }
    return values;
  }

  // A scalar tag (Pillow keeps the first value), or `fallback`.
  uint64_t scalar(uint16_t tag, uint64_t fallback) const {
    const std::vector<uint64_t> v = ints(tag);
    return v.empty() ? fallback : v[0];
  }

 private:
  struct Entry {
    uint16_t tag, type;
    std::vector<uint8_t> data;
  };

  static unsigned unit_size(uint16_t type) {
    switch (type) {
      case 1:
      case 2:
      case 6:
      case 7: return 1;
      case 3:
      case 8: return 2;
      case 4:
      case 9:
      case 11:
      case 13: return 4;
      case 5:
      case 10:
      case 12:
      case 16: return 8;
      default: return 0;
    }
  }
  uint16_t load16(const uint8_t* p) const { return big_endian_ ? load_be16(p) : load_le16(p); }
  uint32_t load32(const uint8_t* p) const { return big_endian_ ? load_be32(p) : load_le32(p); }
  uint32_t u32(size_t at) const { return load32(&b_[at]); }
  uint64_t u64(size_t at) const {
    const uint64_t hi = big_endian_ ? u32(at) : u32(at + 4), lo = big_endian_ ? u32(at + 4) : u32(at);
    return hi << 32 | lo;
  }
  const Entry* find(uint16_t tag) const {
    for (const Entry& e : entries_) {
      if (e.tag == tag) return &e;
    }
    return nullptr;
  }

  void load() {
    const size_t head = bigtiff_ ? 8 : 2, entry_size = bigtiff_ ? 20 : 12, inline_size = bigtiff_ ? 8 : 4;
    if (offset_ > b_.size() || b_.size() - offset_ < head) return;
    const uint64_t count = bigtiff_ ? u64(offset_) : load16(&b_[offset_]);
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t at = offset_ + head + i * entry_size;
      if (at > b_.size() || b_.size() - at < entry_size) return;
      const uint16_t tag = load16(&b_[at]), type = load16(&b_[at + 2]);
      const uint64_t n = bigtiff_ ? u64(at + 4) : u32(at + 4);
      const size_t value_at = at + (bigtiff_ ? 12 : 8);
      if (has(tag)) continue;
      const unsigned unit = unit_size(type);
      if (unit == 0) continue;
      if (n > (uint64_t(1) << 40)) return;  // more than any file holds: Pillow's read fails
      const uint64_t size = n * unit;
      Entry e{tag, type, {}};
      if (size > inline_size) {
        const uint64_t data_at = bigtiff_ ? u64(value_at) : u32(value_at);
        if (data_at >= (uint64_t(1) << 63)) continue;
        total += size;
        if (total > b_.size()) continue;                                // "Tag data larger than file"
        if (data_at > b_.size() || b_.size() - data_at < size) return;  // Truncated File Read
        e.data.assign(&b_[data_at], &b_[data_at] + size);
      } else {
        e.data.assign(&b_[value_at], &b_[value_at] + size);
      }
      if (e.data.empty()) continue;
      entries_.push_back(std::move(e));
    }
  }

  ByteView b_;
  bool big_endian_ = false, bigtiff_ = false;
  uint64_t offset_ = 0;
  std::vector<Entry> entries_;
};

bool known_compression(uint64_t c) {
  switch (c) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 32771:
    case 32773:
    case 32809:
    case 32946:
    case 34676:
    case 34677:
    case 34925:
    case 50000:
    case 50001: return true;
    default: return false;
  }
}

Tags read_tags(ByteView bytes) {
  const PillowIfd ifd(bytes);
  Tags t;
  t.big_endian = ifd.big_endian();
  t.ifd_offset = ifd.offset();
  if (ifd.has(0xBC01)) fail_unsupported("tiff: Windows Media Photo files not yet supported");
  const uint64_t compression = ifd.scalar(TIFFTAG_COMPRESSION, 1);
  if (!known_compression(compression)) fail_unsupported("tiff: unknown compression {}", compression);
  t.compression = uint16_t(compression);
  t.planar = uint16_t(ifd.scalar(TIFFTAG_PLANARCONFIG, 1));
  t.photometric = uint16_t(ifd.scalar(TIFFTAG_PHOTOMETRIC, 0));
  t.fill_order = uint16_t(ifd.scalar(TIFFTAG_FILLORDER, 1));
  const std::vector<uint64_t> width = ifd.ints(TIFFTAG_IMAGEWIDTH), height = ifd.ints(TIFFTAG_IMAGELENGTH);
  if (!ifd.has(TIFFTAG_IMAGEWIDTH) || !ifd.has(TIFFTAG_IMAGELENGTH)) fail_corrupt("tiff: Missing dimensions");
  if (width.empty() || height.empty() || width[0] > UINT32_MAX || height[0] > UINT32_MAX) {
    fail_corrupt("tiff: Invalid dimensions");
  }
  t.width = uint32_t(width[0]);
  t.height = uint32_t(height[0]);
  t.orientation = ifd.scalar(TIFFTAG_ORIENTATION, 1);
  std::vector<uint64_t> formats = ifd.ints(TIFFTAG_SAMPLEFORMAT);
  if (formats.empty()) formats = {1};
  t.sample_format = uint16_t(formats[0]);
  t.mixed_sample_formats =
      std::any_of(formats.begin(), formats.end(), [&](uint64_t f) { return f != formats[0]; });
  t.bits = ifd.ints(TIFFTAG_BITSPERSAMPLE);
  if (t.bits.empty()) t.bits = {1};
  t.extra = ifd.ints(TIFFTAG_EXTRASAMPLES);
  const bool old_jpeg_color =
      t.compression == COMPRESSION_OJPEG && (t.photometric == 2 || t.photometric == 6);
  const uint64_t samples = ifd.scalar(TIFFTAG_SAMPLESPERPIXEL, old_jpeg_color ? 3 : 1);
  t.samples = int(std::min<uint64_t>(samples, 1u << 20));
  t.tiled = !ifd.has(TIFFTAG_STRIPOFFSETS) && ifd.has(TIFFTAG_TILEOFFSETS);
  if (t.tiled) {
    const std::vector<uint64_t> w = ifd.ints(TIFFTAG_TILEWIDTH), l = ifd.ints(TIFFTAG_TILELENGTH);
    if (w.empty() || l.empty()) fail_corrupt("tiff: Invalid tile dimensions");
    t.tile_width = w[0], t.tile_length = l[0];
    t.offsets = ifd.ints(TIFFTAG_TILEOFFSETS);
  } else {
    t.rows_per_strip = ifd.scalar(TIFFTAG_ROWSPERSTRIP, 0);
    t.offsets = ifd.ints(TIFFTAG_STRIPOFFSETS);
  }
  t.colormap = ifd.ints(TIFFTAG_COLORMAP);
  return t;
}

struct Layout {
  Mode mode = Mode::kL;
  Raw raw = Raw::kL;
  int samples = 1;    // samples per pixel, unspecified planar extras left out
  unsigned bits = 1;  // bits per sample
  int bps_count = 1;  // Pillow's count of samples its photometric implies
};

[[noreturn]] void unknown_mode(const Tags& t) {
  fail_unsupported(
      "tiff: unknown pixel mode (photometric {}, sample format {}, {} samples of {} bits, {} extra)",
      t.photometric, t.sample_format, t.samples, t.bits[0], t.extra.size());
}

// OPEN_INFO[(byte order, photometric, sample format, fill order, bits,
// extra samples)], after Pillow's adjustments of the key.
Layout open_info(const Tags& t, uint16_t photometric, uint16_t fill_order, int samples, uint64_t bits,
                 const std::vector<uint64_t>& extra) {
  const bool mm = t.big_endian, r = fill_order == 2;
  const uint16_t format = t.sample_format;
  if (fill_order != 1 && fill_order != 2) unknown_mode(t);
  auto is = [&](int s, uint64_t b) { return samples == s && bits == b; };
  auto extras = [&](std::initializer_list<uint64_t> e) {
    return std::equal(extra.begin(), extra.end(), e.begin(), e.end());
  };
  if ((photometric == 0 || photometric == 1) && format == 1 && extra.empty() && samples == 1) {
    const bool inverted = photometric == 0;
    switch (bits) {
      case 1: return {Mode::k1, inverted ? (r ? Raw::k1IR : Raw::k1I) : (r ? Raw::k1R : Raw::k1)};
      case 2: return {Mode::kL, inverted ? (r ? Raw::kL2IR : Raw::kL2I) : (r ? Raw::kL2R : Raw::kL2)};
      case 4: return {Mode::kL, inverted ? (r ? Raw::kL4IR : Raw::kL4I) : (r ? Raw::kL4R : Raw::kL4)};
      case 8:
        if (inverted && r) fail_unsupported("tiff: unknown raw mode (L;IR)");
        return {Mode::kL, inverted ? Raw::kLI : (r ? Raw::kLR : Raw::kL)};
      default: break;
    }
  }
  if (photometric == 1 && format == 2 && is(1, 8) && extra.empty() && !r) return {Mode::kL, Raw::kL};
  if (!mm && photometric == 1 && format == 1 && is(1, 12) && extra.empty() && !r)
    return {Mode::kI16, Raw::kI12};
  if (!mm && (photometric == 0 || photometric == 1) && format == 1 && is(1, 16) && extra.empty() && !r) {
    return {Mode::kI16, Raw::kI16L};
  }
  if (!mm && photometric == 1 && format == 1 && is(1, 16) && extra.empty() && r)
    return {Mode::kI16, Raw::kI16R};
  if (mm && photometric == 1 && format == 1 && is(1, 16) && extra.empty() && !r)
    return {Mode::kI16, Raw::kI16B};
  if (photometric == 1 && format == 2 && is(1, 16) && extra.empty() && !r)
    return {Mode::kI, mm ? Raw::kI16BS : Raw::kI16S};
  if ((photometric == 0 || photometric == 1) && format == 3 && is(1, 32) && extra.empty() && !r) {
    return {Mode::kF, mm ? Raw::kF32B : Raw::kF32};
  }
  if (!mm && photometric == 1 && format == 1 && is(1, 32) && extra.empty() && !r)
    return {Mode::kI, Raw::kI32};
  if (photometric == 1 && format == 2 && is(1, 32) && extra.empty() && !r)
    return {Mode::kI, mm ? Raw::kI32B : Raw::kI32};
  if (photometric == 1 && format == 1 && is(2, 8) && !r) {
    if (extras({0})) return {Mode::kL, Raw::kLX};
    if (extras({1})) fail_unsupported("tiff: conversion from La to RGB not supported");
    if (extras({2})) return {Mode::kLA, Raw::kLA};
  }
  if (photometric == 2 && format == 1 && bits == 8) {
    if (samples == 3 && extra.empty()) return {Mode::kRgb, r ? Raw::kRgbR : Raw::kRgb};
    if (!r && samples == 4 && (extra.empty() || extras({2}) || extras({999})))
      return {Mode::kRgba, Raw::kRgba};
    if (!r && samples == 4 && extras({0})) return {Mode::kRgb, Raw::kRgbX};
    if (!r && samples == 5 && extras({0, 0})) return {Mode::kRgb, Raw::kRgbXX};
    if (!r && samples == 6 && extras({0, 0, 0})) return {Mode::kRgb, Raw::kRgbXXX};
    if (!r && samples == 4 && extras({1})) return {Mode::kRgba, Raw::kRgbPre};
    if (!r && samples == 5 && extras({1, 0})) return {Mode::kRgba, Raw::kRgbPreX};
    if (!r && samples == 6 && extras({1, 0, 0})) return {Mode::kRgba, Raw::kRgbPreXX};
    if (!r && samples == 5 && extras({2, 0})) return {Mode::kRgba, Raw::kRgbaX};
    if (!r && samples == 6 && extras({2, 0, 0})) return {Mode::kRgba, Raw::kRgbaXX};
  }
  if (photometric == 2 && format == 1 && bits == 16 && !r) {
    if (samples == 3 && extra.empty()) return {Mode::kRgb, mm ? Raw::kRgb16B : Raw::kRgb16L};
    if (samples == 4 && (extra.empty() || extras({2})))
      return {Mode::kRgba, mm ? Raw::kRgba16B : Raw::kRgba16L};
    if (samples == 4 && extras({0})) return {Mode::kRgb, mm ? Raw::kRgbX16B : Raw::kRgbX16L};
    if (samples == 4 && extras({1})) return {Mode::kRgba, mm ? Raw::kRgbPre16B : Raw::kRgbPre16L};
  }
  if (photometric == 3 && format == 1 && samples == 1 && extra.empty()) {
    if (r && bits < 8) fail_unsupported("tiff: unknown raw mode (P;{}R)", bits);
    switch (bits) {
      case 1: return {Mode::kP, Raw::kP1};
      case 2: return {Mode::kP, Raw::kP2};
      case 4: return {Mode::kP, Raw::kP4};
      case 8: return {Mode::kP, r ? Raw::kPR : Raw::kP};
      default: break;
    }
  }
  if (photometric == 3 && format == 1 && is(2, 8) && !r) {
    if (extras({0})) return {Mode::kP, Raw::kPX};
    if (extras({2})) return {Mode::kPA, Raw::kPA};
  }
  if (photometric == 5 && format == 1 && !r) {
    if (is(4, 8) && extra.empty()) return {Mode::kCmyk, Raw::kCmyk};
    if (is(5, 8) && extras({0})) return {Mode::kCmyk, Raw::kCmykX};
    if (is(6, 8) && extras({0, 0})) return {Mode::kCmyk, Raw::kCmykXX};
    if (is(4, 16) && extra.empty()) return {Mode::kCmyk, mm ? Raw::kCmyk16B : Raw::kCmyk16L};
  }
  if (photometric == 6 && format == 1 && !r && extra.empty()) {
    if (is(1, 8)) return {Mode::kL, Raw::kL};
    if (is(3, 8)) return {Mode::kYcbcr, Raw::kYcbcr};
  }
  if (photometric == 8) fail_unsupported("tiff: LAB images are not supported");
  unknown_mode(t);
}

// TiffImageFile._setup's mode decision (libtiff's path looks fill order 2
// up as 1: libtiff undoes it).
Layout pillow_layout(const Tags& t, uint16_t fill_order) {
  if (t.mixed_sample_formats) unknown_mode(t);
  const uint16_t photometric = t.compression == COMPRESSION_OJPEG ? PHOTOMETRIC_YCBCR : t.photometric;
  int samples = t.samples;
  std::vector<uint64_t> bits = t.bits, extra = t.extra;
  if (t.planar == PLANARCONFIG_SEPARATE && !extra.empty() &&
      *std::max_element(extra.begin(), extra.end()) == 0) {  // unspecified planar extras are ignored
    bits.resize(bits.size() > extra.size() ? bits.size() - extra.size() : 0);
    samples -= int(extra.size());
    extra.clear();
  }
  if (samples > 6) fail_corrupt("tiff: Invalid value for samples per pixel");
  if (samples >= 0 && size_t(samples) < bits.size()) {
    bits.resize(size_t(samples));
  } else if (samples > 0 && size_t(samples) > bits.size() && bits.size() == 1) {
    bits.assign(size_t(samples), bits[0]);
  }
  if (samples <= 0 || bits.size() != size_t(samples)) fail_corrupt("tiff: unknown data organization");
  if (std::any_of(bits.begin(), bits.end(), [&](uint64_t b) { return b != bits[0]; })) unknown_mode(t);
  Layout layout = open_info(t, photometric, fill_order, samples, bits[0], extra);
  layout.samples = samples;
  layout.bits = unsigned(bits[0]);
  layout.bps_count = (photometric == 2 || photometric == 6 || photometric == 8 ? 3
                      : photometric == 5                                       ? 4
                                                                               : 1) +
                     int(extra.size());
  return layout;
}

// ---------------------------------------------------------------------------
// Pillow's image: its mode's storage, then convert("RGB").

// Pillow's storage of the TIFF's mode.
struct PillowImage : ModeImage<Mode> {
  PillowImage(Mode m, uint32_t w, uint32_t h) : ModeImage(m, w, h, internal::pixel_bytes(m)) {}
};

RgbImage to_rgb(const PillowImage& im, const uint8_t* palette) {
  RgbImage out = new_rgb(im.width, im.height);
  const uint8_t* in = im.data.data();
  uint8_t* o = out.pixels.data();
  for (size_t i = 0, n = size_t(im.width) * im.height; i < n; ++i, in += im.pixel_bytes, o += 3) {
    switch (im.mode) {
      case Mode::k1:
      case Mode::kL:
      case Mode::kLA: o[0] = o[1] = o[2] = in[0]; break;
      case Mode::kP:
      case Mode::kPA: std::memcpy(o, palette + 3 * in[0], 3); break;
      case Mode::kI16: {
        uint16_t v;
        std::memcpy(&v, in, 2);
        o[0] = o[1] = o[2] = v > 255 ? 255 : uint8_t(v);
        break;
      }
      case Mode::kI: {
        int32_t v;
        std::memcpy(&v, in, 4);
        o[0] = o[1] = o[2] = clip8(v);
        break;
      }
      case Mode::kF: {
        float v;
        std::memcpy(&v, in, 4);
        o[0] = o[1] = o[2] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : std::isnan(v) ? 0 : uint8_t(v);
        break;
      }
      case Mode::kRgb:
      case Mode::kRgba: std::memcpy(o, in, 3); break;
      case Mode::kCmyk: cmyk_to_rgb_pixel(in, o); break;
      case Mode::kYcbcr: ycbcr_to_rgb_pixel(in[0], in[1], in[2], o); break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Uncompressed data: Pillow's tiles and raw decoder (ImageFile.load).

struct RawTile {
  uint32_t x0, y0, x1, y1;
  uint64_t offset;
  Raw raw;
  int band;
  size_t stride;  // 0: the row's own bytes
};

// Planar data: Pillow decodes plane `layer` with the layer-th character
// of the raw mode as a raw mode of its own ("RGB" -> "R", "G", "B"; "L;I"
// -> "L"), which it has for these.
RawTile planar_tile(const Layout& layout, int layer) {
  RawTile tile{};
  tile.raw = Raw::kBand8;
  tile.band = layer;
  const int layers = layout.raw == Raw::kRgb                                ? 3
                     : layout.raw == Raw::kRgba || layout.raw == Raw::kCmyk ? 4
                                                                            : 0;
  if (layers > 0) {
    if (layer >= layers) fail_corrupt("tiff: more planes than samples");
    return tile;
  }
  if (layout.samples != 1 || layer > 0) fail_unsupported("tiff: uncompressed planar data of this layout");
  switch (layout.raw) {
    case Raw::k1:
    case Raw::k1I:
    case Raw::k1R:
    case Raw::k1IR: tile.raw = Raw::k1; break;
    case Raw::kL:
    case Raw::kLI:
    case Raw::kLR:
    case Raw::kL2:
    case Raw::kL2I:
    case Raw::kL2R:
    case Raw::kL2IR:
    case Raw::kL4:
    case Raw::kL4I:
    case Raw::kL4R:
    case Raw::kL4IR: tile.raw = Raw::kL; break;
    case Raw::kP:
    case Raw::kPR:
    case Raw::kP1:
    case Raw::kP2:
    case Raw::kP4: tile.raw = Raw::kP; break;
    default: fail_unsupported("tiff: uncompressed planar data of this layout");
  }
  return tile;
}

void decode_raw(ByteView bytes, const Tags& t, const Layout& layout, PillowImage& im) {
  const bool planar = t.planar == PLANARCONFIG_SEPARATE;
  uint64_t w = t.width, h = t.rows_per_strip ? t.rows_per_strip : t.height;
  if (t.tiled) {
    w = t.tile_width, h = t.tile_length;
    if (w == 0 || h == 0) fail_corrupt("tiff: Invalid tile dimensions");
  }
  std::vector<uint64_t> offsets = t.offsets;
  if (w == t.width && h == t.height && !planar && !offsets.empty())
    offsets.erase(offsets.begin(), offsets.end() - 1);
  const unsigned sum_bits = layout.bits * unsigned(layout.samples);  // sum(bps_tuple)
  std::vector<RawTile> tiles;
  uint32_t x = 0, y = 0;
  int layer = 0;
  for (uint64_t offset : offsets) {
    double stride = uint64_t(x) + w > t.width ? double(w) * sum_bits / 8 : 0;
    RawTile tile{};
    if (planar) {
      tile = planar_tile(layout, layer);
      stride /= layout.bps_count;
    } else {
      tile.raw = layout.raw;
    }
    tile.x0 = x, tile.y0 = y;
    tile.x1 = uint32_t(std::min<uint64_t>(uint64_t(x) + w, t.width));
    tile.y1 = uint32_t(std::min<uint64_t>(uint64_t(y) + h, t.height));
    tile.offset = offset;
    tile.stride = size_t(stride);
    tiles.push_back(tile);
    x += w;
    if (x >= t.width) {
      x = 0;
      y += h;
      if (y >= t.height) y = 0, ++layer;
    }
  }
  std::stable_sort(tiles.begin(), tiles.end(),
                   [](const RawTile& a, const RawTile& b) { return a.offset < b.offset; });
  // Consecutive tiles that differ only by their offset: the last one.
  std::vector<RawTile> kept;
  for (size_t i = 0; i < tiles.size(); ++i) {
    const RawTile& a = tiles[i];
    if (i + 1 < tiles.size()) {
      const RawTile& b = tiles[i + 1];
      if (a.x0 == b.x0 && a.y0 == b.y0 && a.x1 == b.x1 && a.y1 == b.y1 && a.raw == b.raw &&
          a.band == b.band && a.stride == b.stride) {
        continue;
      }
    }
    kept.push_back(a);
  }
  for (const RawTile& tile : kept) {
    const uint32_t width = tile.x1 - tile.x0;
    const size_t row_bytes = (size_t(width) * raw_bits(tile.raw) + 7) / 8;
    if (tile.stride != 0 && tile.stride < row_bytes) continue;  // Pillow: decoder configuration error
    const size_t skip = tile.stride ? tile.stride - row_bytes : 0;
    uint64_t pos = tile.offset;
    for (uint32_t row = tile.y0; row < tile.y1; ++row) {
      if (pos > bytes.size() || bytes.size() - pos < row_bytes) break;
      unpack(tile.raw, &bytes[pos], im.at(tile.x0, row), width, tile.band);
      pos += row_bytes;
      if (row + 1 < tile.y1) {
        if (bytes.size() - pos < skip) break;
        pos += skip;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Compressed data: TiffDecode.c.

[[noreturn]] void broken() { fail_corrupt("tiff: decoder error -2 (libtiff could not read the image data)"); }

void decode_as_rgba(TIFF* tif, PillowImage& im) {
  uint32_t rows_per_block = 0;
  const int ok = TIFFIsTiled(tif) ? TIFFGetFieldDefaulted(tif, TIFFTAG_TILELENGTH, &rows_per_block)
                                  : TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rows_per_block);
  if (ok != 1 || rows_per_block == uint32_t(-1)) rows_per_block = im.height;
  char message[1024] = "";
  TIFFRGBAImage img;
  if (!(TIFFRGBAImageOK(tif, message) && TIFFRGBAImageBegin(&img, tif, 0, message))) broken();
  struct End {
    TIFFRGBAImage& img;
    ~End() { TIFFRGBAImageEnd(&img); }
  } end{img};
  img.orientation = ORIENTATION_TOPLEFT;
  img.req_orientation = ORIENTATION_TOPLEFT;
  img.col_offset = 0;
  if (img.width > uint32_t(INT32_MAX / 4) || uint64_t(img.width) * 4 * rows_per_block > uint64_t(INT32_MAX))
    broken();
  std::vector<uint32_t> block(size_t(img.width) * rows_per_block);
  for (uint32_t y = 0; y < im.height; y += rows_per_block) {
    img.row_offset = int(y);
    const uint32_t rows = std::min(rows_per_block, img.height - y);
    if (!TIFFRGBAImageGet(&img, block.data(), img.width, rows)) broken();
    for (uint32_t r = 0; r < rows_per_block && y + r < im.height; ++r) {
      const uint8_t* row = reinterpret_cast<const uint8_t*>(block.data() + size_t(r) * img.width);
      for (uint32_t x = 0; x < im.width; ++x) {
        uint8_t* o = im.at(x, y + r);
        o[0] = row[4 * x], o[1] = row[4 * x + 1], o[2] = row[4 * x + 2], o[3] = 255;  // "RGBX"
      }
    }
  }
}

struct Shuffler {
  Raw raw;
  int band;
};

void decode_tiles(TIFF* tif, PillowImage& im, const std::vector<Shuffler>& planes, unsigned bits) {
  const tmsize_t tile_bytes = TIFFTileSize(tif);
  const tmsize_t row_bytes = TIFFTileRowSize(tif);
  if (tile_bytes <= 0 || row_bytes <= 0 || row_bytes > tile_bytes || tile_bytes > INT32_MAX - 1) broken();
  uint32_t tile_width = 0, tile_length = 0;
  TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tile_width);
  TIFFGetField(tif, TIFFTAG_TILELENGTH, &tile_length);
  if (tile_width == 0 || tile_length == 0 || tile_width > INT32_MAX || tile_length > INT32_MAX) broken();
  const tmsize_t unpacker_row = (tmsize_t(tile_width) * bits / planes.size() + 7) / 8;
  if (tile_bytes != unpacker_row * tmsize_t(tile_length) || unpacker_row > row_bytes) broken();
  std::vector<uint8_t> buffer(size_t(tile_bytes), 0);
  for (uint32_t y = 0; y < im.height; y += tile_length) {
    for (size_t plane = 0; plane < planes.size(); ++plane) {
      for (uint32_t x = 0; x < im.width; x += tile_width) {
        if (TIFFReadTile(tif, buffer.data(), x, y, 0, uint16_t(plane)) == -1) broken();
        const uint32_t width = std::min(tile_width, im.width - x),
                       rows = std::min(tile_length, im.height - y);
        for (uint32_t r = 0; r < rows; ++r) {
          unpack(planes[plane].raw, buffer.data() + size_t(r) * row_bytes, im.at(x, y + r), width,
                 planes[plane].band);
        }
      }
    }
  }
}

void decode_strips(TIFF* tif, PillowImage& im, const std::vector<Shuffler>& planes, unsigned bits) {
  uint32_t rows_per_strip = 0;
  if (TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rows_per_strip) != 1 || rows_per_strip == uint32_t(-1)) {
    rows_per_strip = im.height;
  }
  if (rows_per_strip == 0 || rows_per_strip > INT32_MAX) broken();
  const tmsize_t strip_bytes = TIFFStripSize(tif);
  if (strip_bytes <= 0 || strip_bytes > INT32_MAX - 1) broken();
  const tmsize_t unpacker_row = (tmsize_t(im.width) * bits / planes.size() + 7) / 8;
  if (strip_bytes > unpacker_row * tmsize_t(rows_per_strip)) broken();
  const tmsize_t row_bytes = TIFFScanlineSize(tif);
  if (row_bytes == 0 || unpacker_row > row_bytes) broken();
  // One buffer for every strip, zeroed once: a codec that decodes fewer
  // rows than a strip holds leaves the previous strip's there, as in Pillow.
  std::vector<uint8_t> buffer(size_t(strip_bytes), 0);
  for (uint32_t y = 0; y < im.height; y += rows_per_strip) {
    for (size_t plane = 0; plane < planes.size(); ++plane) {
      if (TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, y, uint16_t(plane)), buffer.data(), strip_bytes) ==
          -1) {
        broken();
      }
      for (uint32_t r = 0; r < rows_per_strip && y + r < im.height; ++r) {
        unpack(planes[plane].raw, buffer.data() + size_t(r) * row_bytes, im.at(0, y + r), im.width,
               planes[plane].band);
      }
    }
  }
}

void decode_libtiff(ByteView bytes, const Tags& t, const Layout& layout, uint64_t max_pixels,
                    PillowImage& im) {
  // TiffImagePlugin: libtiff handles the fill order (fill order 2 keys are
  // looked up as 1), YCbCr becomes RGB, 16-bit samples arrive native.
  Layout l = layout;
  if (t.fill_order == 2) l = pillow_layout(t, 1);
  uint16_t photometric_key = t.compression == COMPRESSION_OJPEG ? PHOTOMETRIC_YCBCR : t.photometric;
  Raw raw = native(l.raw);
  if (photometric_key == PHOTOMETRIC_YCBCR) {
    im = PillowImage(Mode::kRgb, im.width, im.height);
    raw = t.compression == COMPRESSION_JPEG && t.planar == PLANARCONFIG_CONTIG ? Raw::kRgb : Raw::kRgbX;
  } else if (l.mode != im.mode) {
    im = PillowImage(l.mode, im.width, im.height);
  }
  Tiff tiff(bytes, "rC");
  if (!tiff.tif) broken();
  if (t.ifd_offset && !TIFFSetSubDirectory(tiff.tif, t.ifd_offset)) broken();
  uint32_t width = 0, height = 0;
  TIFFGetField(tiff.tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tiff.tif, TIFFTAG_IMAGELENGTH, &height);
  if (width != im.width || height != im.height) broken();
  uint16_t photometric = 0, compression = 0, planar = 0;
  TIFFGetField(tiff.tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetField(tiff.tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetFieldDefaulted(tiff.tif, TIFFTAG_PLANARCONFIG, &planar);
  bool as_rgba = photometric == PHOTOMETRIC_YCBCR;
  if (as_rgba && compression == COMPRESSION_JPEG && planar == PLANARCONFIG_CONTIG) {
    TIFFSetField(tiff.tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    as_rgba = false;
  }
  if (as_rgba) {
    if (raw_bits(raw) != 32) broken();
    decode_as_rgba(tiff.tif, im);
    return;
  }
  const int bands = im.pixel_bytes == 4 ? (im.mode == Mode::kLA || im.mode == Mode::kPA       ? 2
                                           : im.mode == Mode::kRgb || im.mode == Mode::kYcbcr ? 3
                                                                                              : 4)
                                        : 1;
  std::vector<Shuffler> planes;
  if (planar == PLANARCONFIG_SEPARATE && bands > 1) {
    uint16_t bits = 8;
    TIFFGetFieldDefaulted(tiff.tif, TIFFTAG_BITSPERSAMPLE, &bits);
    if (bits != 8 && bits != 16) broken();
    for (int b = 0; b < bands; ++b) planes.push_back({bits == 16 ? Raw::kBand16L : Raw::kBand8, b});
  } else {
    planes.push_back({raw, 0});
  }
  if (TIFFIsTiled(tiff.tif)) {
    uint32_t tile_width = 0, tile_length = 0;
    TIFFGetField(tiff.tif, TIFFTAG_TILEWIDTH, &tile_width);
    TIFFGetField(tiff.tif, TIFFTAG_TILELENGTH, &tile_length);
    // A tile far larger than the image would be allocated whole.
    if (uint64_t(tile_width) * tile_length > std::max<uint64_t>(max_pixels, uint64_t(im.width) * im.height)) {
      fail(ErrorCode::kLimit, "tiff: a tile of {}x{} pixels exceeds the limit of {} pixels", tile_width,
           tile_length, max_pixels);
    }
    decode_tiles(tiff.tif, im, planes, raw_bits(raw));
  } else {
    decode_strips(tiff.tif, im, planes, raw_bits(raw));
  }
  if (planes.size() > 3 && im.mode == Mode::kRgba) {
    uint16_t count = 0;
    uint16_t* info = nullptr;
    TIFFGetFieldDefaulted(tiff.tif, TIFFTAG_EXTRASAMPLES, &count, &info);
    if (count >= 1 && info && (info[0] == EXTRASAMPLE_UNSPECIFIED || info[0] == EXTRASAMPLE_ASSOCALPHA)) {
      for (size_t i = 0; i < im.data.size(); i += 4) {
        uint8_t* p = &im.data[i];
        unpremultiply(p[0], p[1], p[2], p[3], p);
      }
    }
  }
}

// The palette Pillow makes of COLORMAP: each 16-bit entry // 256, the
// first third red, then green, then blue ("RGB;L"); more than 256 entries
// fail (Pillow's putpalette).
void palette_of(const Tags& t, uint8_t* palette) {
  if (t.colormap.empty()) fail_corrupt("tiff: palette image without a ColorMap");
  const size_t n = t.colormap.size() / 3;
  if (n > 256) fail_corrupt("tiff: invalid palette size");
  std::memset(palette, 0, 256 * 3);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < 3; ++c) palette[3 * i + c] = uint8_t(t.colormap[c * n + i] / 256);
  }
}

struct Opened {
  Tags tags;
  Layout layout;
};

Opened open_tiff(ByteView bytes) {
  Opened o{read_tags(bytes), {}};
  if (o.tags.width == 0 || o.tags.height == 0)
    fail_corrupt("tiff: image of size {}x{}", o.tags.width, o.tags.height);
  o.layout = pillow_layout(o.tags, o.tags.fill_order);
  return o;
}

}  // namespace

ImageInfo probe_tiff(ByteView bytes) {
  const Opened o = open_tiff(bytes);
  ImageInfo info;
  info.format = ImageFormat::kTiff;
  const bool swap = o.tags.orientation >= 5 && o.tags.orientation <= 8;
  info.width = swap ? o.tags.height : o.tags.width;
  info.height = swap ? o.tags.width : o.tags.height;
  info.channels_in_file = o.layout.samples;
  info.bits_per_channel = int(o.layout.bits);
  return info;
}

RgbImage decode_tiff(ByteView bytes, uint64_t max_pixels) {
  const Opened o = open_tiff(bytes);
  const Tags& t = o.tags;
  check_pixel_limit("tiff", t.width, t.height, max_pixels);
  uint8_t palette[256 * 3];
  if (o.layout.mode == Mode::kP || o.layout.mode == Mode::kPA) palette_of(t, palette);
  PillowImage im(o.layout.mode, t.width, t.height);
  if (t.compression == COMPRESSION_NONE) {
    if (t.offsets.empty()) fail_corrupt("tiff: unknown data organization");
    decode_raw(bytes, t, o.layout, im);
  } else {
    decode_libtiff(bytes, t, o.layout, max_pixels, im);
  }
  RgbImage rgb = to_rgb(im, palette);
  if (t.orientation >= 2 && t.orientation <= 8) rgb = apply_orientation(std::move(rgb), t.orientation);
  return rgb;
}

}  // namespace mimicit::image::internal
