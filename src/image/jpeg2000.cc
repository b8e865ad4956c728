// JPEG 2000 (a JP2 file or a raw J2K codestream) through OpenJPEG
// (Debian's), read as Pillow's Jpeg2KImagePlugin and Jpeg2KDecode.c read
// it, then convert("RGB"):
//   - the mode and size come from the headers, as Pillow parses them: a
//     codestream's SIZ marker (1 component: "L", or "I;16" above 8 bits;
//     2: "LA"; 3: "RGB"; 4: "RGBA"), a JP2's ihdr box (same rule; 4
//     components with a CMYK colr box: "CMYK"); a header Pillow cannot parse
//     is kCorrupt, a JP2 with a palette (pclr box) kUnsupported;
//   - OpenJPEG decodes tile by tile, at full resolution and with every
//     quality layer, from a stream that reads and skips as Pillow's does;
//     each tile is scaled to 8 bits (16 for "I;16") with rounding, signed
//     samples offset to unsigned, as Pillow's unpackers do (sYCC and
//     subsampled three-component images through Pillow's YCbCr formula);
//   - a codestream larger than max_pixels is kLimit even when the JP2
//     header claims less (OpenJPEG would allocate it);
//   - where OpenJPEG fails (a cut or corrupt file) or Pillow has no
//     unpacker for the components, the tiles decoded so far are kept and
//     the rest is black, as Pillow leaves them with LOAD_TRUNCATED_IMAGES
//     (which swallows the decoder's error).
// "I;16" converts to RGB clipped to 255; "LA" and "RGBA" drop alpha.
#include <openjpeg.h>

#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

enum class J2kMode { kL, kI16, kLA, kRgb, kRgba, kCmyk };

struct J2kHeader {
  bool jp2 = false;
  J2kMode mode = J2kMode::kL;
  uint32_t width = 0, height = 0;
  int components = 0;
};

constexpr uint8_t kJp2Signature[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', '\r', '\n', 0x87, '\n'};
constexpr uint8_t kCodestream[4] = {0xFF, 0x4F, 0xFF, 0x51};

// _parse_comment: Pillow walks the main header's marker segments after
// SIZ up to a comment, a tile or the end; a segment cut short fails.
void walk_main_header(ByteView b, size_t pos) {
  while (pos < b.size()) {
    if (b.size() - pos < 2) fail_corrupt("jpeg2000: truncated marker");
    const uint8_t type = b[pos + 1];
    pos += 2;
    if (type == 0x90 || type == 0xD9) return;  // SOT, EOC
    if (b.size() - pos < 2) fail_corrupt("jpeg2000: truncated marker segment");
    const size_t length = load_be16(&b[pos]);
    pos += 2;
    if (length < 2) fail_corrupt("jpeg2000: Marker length too small");
    if (type == 0x64) return;  // COM
    pos += length - 2;
  }
}

// _parse_codestream (and _parse_comment): the SIZ marker segment at `pos`
// (after FF4F FF51).
J2kHeader parse_siz(ByteView b, size_t pos) {
  if (b.size() < pos + 2) fail_corrupt("jpeg2000: truncated SIZ marker");
  const size_t lsiz = load_be16(&b[pos]);
  if (lsiz < 38) fail_corrupt("jpeg2000: SIZ marker length must be at least 38");
  if (b.size() < pos + 38) fail_corrupt("jpeg2000: truncated SIZ marker");
  const uint8_t* siz = &b[pos];
  J2kHeader h;
  const uint32_t xsiz = load_be32(siz + 4), ysiz = load_be32(siz + 8);
  const uint32_t xosiz = load_be32(siz + 12), yosiz = load_be32(siz + 16);
  h.width = xsiz - xosiz;
  h.height = ysiz - yosiz;
  h.components = load_be16(siz + 36);
  switch (h.components) {
    case 1:
      if (lsiz < 39 || b.size() < pos + 39) fail_corrupt("jpeg2000: truncated SIZ marker");
      h.mode = (siz[38] & 0x7F) + 1 > 8 ? J2kMode::kI16 : J2kMode::kL;
      break;
    case 2: h.mode = J2kMode::kLA; break;
    case 3: h.mode = J2kMode::kRgb; break;
    case 4: h.mode = J2kMode::kRgba; break;
    default: fail_corrupt("jpeg2000: unable to determine J2K image mode");
  }
  walk_main_header(b, pos + lsiz);
  if (int32_t(xsiz - xosiz) <= 0 || int32_t(ysiz - yosiz) <= 0) {
    fail_corrupt("jpeg2000: image of size {}x{}", int64_t(xsiz) - xosiz, int64_t(ysiz) - yosiz);
  }
  return h;
}

// Pillow's BoxReader over [pos, end) of the file.
class Boxes {
 public:
  Boxes(ByteView b, size_t pos, size_t end) : b_(b), pos_(pos), end_(end) {}
  size_t pos() const { return pos_; }
  bool more() const { return pos_ + left_ < end_; }

  // The next box's type; skips what is left of the current one.
  std::string next() {
    if (left_ > 0) pos_ += left_;
    left_ = 0;
    const uint8_t* head = read(8);
    uint64_t length = load_be32(head);
    size_t header = 8;
    if (length == 1) {
      const uint8_t* big = read(8);
      length = uint64_t(load_be32(big)) << 32 | load_be32(big + 4);
      header = 16;
    }
    if (length < header || length - header > end_ - std::min(pos_, end_)) {
      fail_corrupt("jpeg2000: Invalid header length");
    }
    left_ = length - header;
    return std::string(reinterpret_cast<const char*>(head + 4), 4);
  }

  // n bytes of the current box's content.
  const uint8_t* field(size_t n) {
    if (n > left_) fail_corrupt("jpeg2000: Not enough data in header");
    const uint8_t* p = read(n);
    left_ -= n;
    return p;
  }

  // The rest of the current box, as a reader of its own.
  Boxes content() {
    Boxes inner(b_, pos_, pos_ + left_);
    read(left_);
    left_ = 0;
    return inner;
  }

 private:
  const uint8_t* read(size_t n) {
    if (pos_ > end_ || end_ - pos_ < n || b_.size() - std::min(pos_, b_.size()) < n) {
      fail_corrupt("jpeg2000: truncated JP2 header");
    }
    const uint8_t* p = &b_[pos_];
    pos_ += n;
    return p;
  }

  ByteView b_;
  size_t pos_, end_;
  size_t left_ = 0;
};

// _parse_jp2_header, then the codestream check that follows it.
J2kHeader parse_jp2(ByteView b) {
  Boxes top(b, 12, b.size());
  std::string type;
  do {
    type = top.next();
  } while (type != "jp2h");
  Boxes header = top.content();
  J2kHeader h;
  h.jp2 = true;
  bool have_mode = false, have_size = false;
  std::string colr;
  while (header.more()) {
    type = header.next();
    if (type == "ihdr") {
      const uint8_t* f = header.field(11);
      h.height = load_be32(f);
      h.width = load_be32(f + 4);
      h.components = load_be16(f + 8);
      const int bpc = f[10];
      have_size = true;
      have_mode = true;
      switch (h.components) {
        case 1: h.mode = (bpc & 0x7F) > 8 ? J2kMode::kI16 : J2kMode::kL; break;
        case 2: h.mode = J2kMode::kLA; break;
        case 3: h.mode = J2kMode::kRgb; break;
        case 4: h.mode = J2kMode::kRgba; break;
        default: have_mode = false;
      }
    } else if (type == "colr") {
      const uint8_t* f = header.field(7);
      if (f[0] == 1) {
        const uint32_t cs = load_be32(f + 3);
        if (cs == 0 || cs == 15) colr = "1";
        if (cs == 17) colr = "L";
        if (cs == 12) {
          colr = "CMYK";
          if (h.components == 4) h.mode = J2kMode::kCmyk;
        }
      }
    } else if (type == "pclr" && have_mode && (h.mode == J2kMode::kL || h.mode == J2kMode::kLA) &&
               colr != "1" && colr != "L") {
      fail_unsupported("jpeg2000: palette (pclr) images are not supported");
    }
  }
  if (!have_size || !have_mode) fail_corrupt("jpeg2000: Malformed JP2 header");
  // Pillow then reads 12 bytes: a jp2c box right there has its SIZ parsed.
  const size_t at = top.pos();
  if (b.size() >= at + 12 && std::memcmp(&b[at + 4], "jp2c", 4) == 0 &&
      std::memcmp(&b[at + 8], kCodestream, 4) == 0) {
    parse_siz(b, at + 12);
  }
  if (int32_t(h.width) <= 0 || int32_t(h.height) <= 0)
    fail_corrupt("jpeg2000: image of size {}x{}", h.width, h.height);
  return h;
}

J2kHeader parse_header(ByteView b) {
  if (b.size() >= 4 && std::memcmp(b.data(), kCodestream, 4) == 0) return parse_siz(b, 4);
  if (b.size() >= 12 && std::memcmp(b.data(), kJp2Signature, 12) == 0) return parse_jp2(b);
  fail_corrupt("jpeg2000: not a JPEG 2000 file");
}

// ---------------------------------------------------------------------------
// Decoding: Jpeg2KDecode.c's loop over OpenJPEG.

// Pillow's image of the header's mode: 1 byte per pixel for L, 2 for I;16,
// 4 for the others (L, L, L, A for LA; C, M, Y, K for CMYK).
struct PillowImage : ModeImage<J2kMode> {
  PillowImage(J2kMode m, uint32_t w, uint32_t h)
      : ModeImage(m, w, h,
                  m == J2kMode::kL     ? 1
                  : m == J2kMode::kI16 ? 2
                                       : 4) {}
};

// The stream Pillow gives OpenJPEG: reads return -1 at the end; a skip
// returns the new position (not the count), as Pillow's does, which
// OpenJPEG only meets past its 1 MiB read buffer.
struct MemoryStream {
  ByteView bytes;
  uint64_t pos = 0;
};

OPJ_SIZE_T stream_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  const uint64_t left = s->pos < s->bytes.size() ? s->bytes.size() - s->pos : 0;
  const OPJ_SIZE_T got = n < left ? n : OPJ_SIZE_T(left);
  if (got == 0) return OPJ_SIZE_T(-1);
  std::memcpy(buffer, s->bytes.data() + s->pos, got);
  s->pos += got;
  return got;
}

OPJ_OFF_T stream_skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (n < 0 && uint64_t(-n) > s->pos) return -1;  // Python's seek refuses
  s->pos += uint64_t(n);
  return s->pos ? OPJ_OFF_T(s->pos) : OPJ_OFF_T(-1);
}

void quiet(const char*, void*) {}

struct TileInfo {
  OPJ_UINT32 index = 0, data_size = 0;
  OPJ_INT32 x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  OPJ_UINT32 components = 0;
};

// Per component: what Pillow's unpackers derive from the precision.
struct Component {
  int shift = 0;            // to 8 bits (16 for I;16): left if positive
  unsigned offset = 0;      // signed -> unsigned, plus rounding
  unsigned size = 1;        // bytes per sample in the tile data: 1, 2 or 4
  unsigned dx = 1, dy = 1;  // subsampling
};

Component component(const opj_image_comp_t& c, int bits) {
  Component k;
  k.shift = bits - int(c.prec);
  k.offset = c.sgnd ? 1u << (c.prec - 1) : 0;
  k.size = (c.prec + 7) >> 3;
  if (k.size == 3) k.size = 4;
  if (k.shift < 0) k.offset += 1u << (-k.shift - 1);
  k.dx = c.dx;
  k.dy = c.dy;
  return k;
}

unsigned sample(const uint8_t* data, unsigned size, size_t i) {
  switch (size) {
    case 1: return data[i];
    case 2: {
      uint16_t v;
      std::memcpy(&v, data + 2 * i, 2);
      return v;
    }
    default: {
      uint32_t v;
      std::memcpy(&v, data + 4 * i, 4);
      return v;
    }
  }
}

unsigned scaled(const Component& k, unsigned word) {
  const unsigned x = k.offset + word;
  return k.shift < 0 ? x >> -k.shift : x << k.shift;
}

enum class Unpacker { kNone, kGreyL, kGreyI16, kGreyRgb, kGreyAlpha, kRgb, kYcc, kRgba, kYcca };

// Jpeg2KDecode.c's table: (mode, color space, components, subsampling
// allowed) -> unpacker.
Unpacker find_unpacker(J2kMode mode, OPJ_COLOR_SPACE cs, unsigned n, bool subsampled) {
  struct Row {
    J2kMode mode;
    OPJ_COLOR_SPACE cs;
    unsigned n;
    bool subsampling;
    Unpacker unpacker;
  };
  static constexpr Row kTable[] = {
      {J2kMode::kL, OPJ_CLRSPC_GRAY, 1, false, Unpacker::kGreyL},
      {J2kMode::kI16, OPJ_CLRSPC_GRAY, 1, false, Unpacker::kGreyI16},
      {J2kMode::kLA, OPJ_CLRSPC_GRAY, 2, false, Unpacker::kGreyAlpha},
      {J2kMode::kRgb, OPJ_CLRSPC_GRAY, 1, false, Unpacker::kGreyRgb},
      {J2kMode::kRgb, OPJ_CLRSPC_GRAY, 2, false, Unpacker::kGreyRgb},
      {J2kMode::kRgb, OPJ_CLRSPC_SRGB, 3, true, Unpacker::kRgb},
      {J2kMode::kRgb, OPJ_CLRSPC_SYCC, 3, true, Unpacker::kYcc},
      {J2kMode::kRgb, OPJ_CLRSPC_SRGB, 4, true, Unpacker::kRgb},
      {J2kMode::kRgb, OPJ_CLRSPC_SYCC, 4, true, Unpacker::kYcc},
      {J2kMode::kRgba, OPJ_CLRSPC_GRAY, 1, false, Unpacker::kGreyRgb},
      {J2kMode::kRgba, OPJ_CLRSPC_GRAY, 2, false, Unpacker::kGreyAlpha},
      {J2kMode::kRgba, OPJ_CLRSPC_SRGB, 3, true, Unpacker::kRgb},
      {J2kMode::kRgba, OPJ_CLRSPC_SYCC, 3, true, Unpacker::kYcc},
      {J2kMode::kRgba, OPJ_CLRSPC_GRAY, 4, true, Unpacker::kRgba},
      {J2kMode::kRgba, OPJ_CLRSPC_SRGB, 4, true, Unpacker::kRgba},
      {J2kMode::kRgba, OPJ_CLRSPC_SYCC, 4, true, Unpacker::kYcca},
      {J2kMode::kCmyk, OPJ_CLRSPC_CMYK, 4, true, Unpacker::kRgba},
  };
  for (const Row& row : kTable) {
    if (row.mode == mode && row.cs == cs && row.n == n && (row.subsampling || !subsampled))
      return row.unpacker;
  }
  return Unpacker::kNone;
}

// One decoded tile into Pillow's image, as the unpacker would.
void unpack(Unpacker u, const opj_image_t* in, const TileInfo& t, const uint8_t* data, PillowImage& im) {
  const unsigned x0 = unsigned(t.x0) - in->x0, y0 = unsigned(t.y0) - in->y0;
  const unsigned w = unsigned(t.x1 - t.x0), h = unsigned(t.y1 - t.y0);
  const unsigned n = u == Unpacker::kRgb || u == Unpacker::kYcc     ? 3
                     : u == Unpacker::kRgba || u == Unpacker::kYcca ? 4
                     : u == Unpacker::kGreyAlpha                    ? 2
                                                                    : 1;
  const int bits = u == Unpacker::kGreyI16 ? 16 : 8;
  Component k[4];
  const uint8_t* start[4];
  const uint8_t* p = data;
  for (unsigned c = 0; c < n; ++c) {
    k[c] = component(in->comps[c], bits);
    start[c] = p;
    // The grey unpackers lay components out without subsampling.
    const bool plain = u == Unpacker::kGreyL || u == Unpacker::kGreyI16 || u == Unpacker::kGreyRgb ||
                       u == Unpacker::kGreyAlpha;
    p += size_t(k[c].size) * (plain ? size_t(w) * h : size_t(w / k[c].dx) * (h / k[c].dy));
  }
  for (unsigned y = 0; y < h; ++y) {
    uint8_t* row = im.row(y0 + y) + size_t(x0) * im.pixel_bytes;
    switch (u) {
      case Unpacker::kGreyL:
        for (unsigned x = 0; x < w; ++x)
          row[x] = uint8_t(scaled(k[0], sample(start[0], k[0].size, size_t(y) * w + x)));
        break;
      case Unpacker::kGreyI16:
        for (unsigned x = 0; x < w; ++x) {
          const uint16_t v = uint16_t(scaled(k[0], sample(start[0], k[0].size, size_t(y) * w + x)));
          std::memcpy(row + 2 * x, &v, 2);
        }
        break;
      case Unpacker::kGreyRgb:
        for (unsigned x = 0; x < w; ++x, row += 4) {
          row[0] = row[1] = row[2] = uint8_t(scaled(k[0], sample(start[0], k[0].size, size_t(y) * w + x)));
          row[3] = 0xFF;
        }
        break;
      case Unpacker::kGreyAlpha:
        for (unsigned x = 0; x < w; ++x, row += 4) {
          row[0] = row[1] = row[2] = uint8_t(scaled(k[0], sample(start[0], k[0].size, size_t(y) * w + x)));
          row[3] = uint8_t(scaled(k[1], sample(start[1], k[1].size, size_t(y) * w + x)));
        }
        break;
      default: {
        const uint8_t* line[4];
        for (unsigned c = 0; c < n; ++c)
          line[c] = start[c] + size_t(k[c].size) * (y / k[c].dy) * (w / k[c].dx);
        uint8_t* out = row;
        for (unsigned x = 0; x < w; ++x, out += 4) {
          for (unsigned c = 0; c < n; ++c)
            out[c] = uint8_t(scaled(k[c], sample(line[c], k[c].size, x / k[c].dx)));
          if (n == 3) out[3] = 0xFF;
        }
        if (u == Unpacker::kYcc || u == Unpacker::kYcca) {
          for (unsigned x = 0; x < w; ++x)
            ycbcr_to_rgb_pixel(row[4 * x], row[4 * x + 1], row[4 * x + 2], row + 4 * x);
        }
      }
    }
  }
}

struct OpjCodec {
  opj_codec_t* codec = nullptr;
  opj_stream_t* stream = nullptr;
  opj_image_t* image = nullptr;
  ~OpjCodec() {
    if (codec) opj_destroy_codec(codec);
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
  }
};

// Decodes into `im` as far as OpenJPEG and Pillow's checks let it; returns
// quietly where Pillow's decoder gives up.
void decode_tiles(ByteView bytes, bool jp2, uint64_t max_pixels, PillowImage& im) {
  MemoryStream source{bytes, 0};
  OpjCodec o;
  o.stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
  if (!o.stream) return;
  opj_stream_set_read_function(o.stream, stream_read);
  opj_stream_set_skip_function(o.stream, stream_skip);
  opj_stream_set_user_data(o.stream, &source, nullptr);
  opj_stream_set_user_data_length(o.stream, bytes.size());
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  o.codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  if (!o.codec) return;
  opj_set_error_handler(o.codec, quiet, nullptr);
  opj_set_warning_handler(o.codec, quiet, nullptr);
  opj_set_info_handler(o.codec, quiet, nullptr);
  opj_setup_decoder(o.codec, &params);
  if (!opj_read_header(o.stream, o.codec, &o.image)) return;
  const opj_image_t* image = o.image;
  if (image->numcomps < 1 || image->numcomps > 4) return;
  // A JP2's codestream may claim more than its header: OpenJPEG would
  // allocate tiles of that size (Pillow checks only the header).
  check_pixel_limit("jpeg2000", uint64_t(image->x1) - image->x0, uint64_t(image->y1) - image->y0, max_pixels);
  int subsampling = -1;  // the first subsampled component
  for (unsigned c = 0; c < image->numcomps; ++c) {
    if (image->comps[c].dx != 1 || image->comps[c].dy != 1) {
      subsampling = int(c);
      break;
    }
  }
  OPJ_COLOR_SPACE cs = image->color_space;
  if (cs == OPJ_CLRSPC_UNKNOWN || cs == OPJ_CLRSPC_UNSPECIFIED) {
    if (image->numcomps <= 2) {
      cs = OPJ_CLRSPC_GRAY;
    } else if (subsampling == 1 || subsampling == 2) {
      cs = OPJ_CLRSPC_SYCC;
    } else {
      cs = OPJ_CLRSPC_SRGB;
    }
  }
  const Unpacker unpacker = find_unpacker(im.mode, cs, image->numcomps, subsampling != -1);
  if (unpacker == Unpacker::kNone) return;
  std::vector<uint8_t> buffer;
  for (;;) {
    TileInfo t;
    OPJ_BOOL go_on = OPJ_FALSE;
    if (!opj_read_tile_header(o.codec, o.stream, &t.index, &t.data_size, &t.x0, &t.y0, &t.x1, &t.y1,
                              &t.components, &go_on)) {
      return;
    }
    if (!go_on) break;
    if (t.x0 >= t.x1 || t.y0 >= t.y1 || t.x0 < 0 || t.y0 < 0 || OPJ_UINT32(t.x0) < image->x0 ||
        OPJ_UINT32(t.y0) < image->y0 || OPJ_INT32(t.x1 - image->x0) > OPJ_INT32(im.width) ||
        OPJ_INT32(t.y1 - image->y0) > OPJ_INT32(im.height)) {
      return;
    }
    if (t.components != image->numcomps) return;
    const uint64_t w = uint64_t(t.x1 - t.x0), h = uint64_t(t.y1 - t.y0);
    uint64_t per_pixel = 0;
    for (unsigned c = 0; c < t.components; ++c) per_pixel += component(image->comps[c], 8).size;
    const uint64_t tile_bytes = w * h * per_pixel;
    if (tile_bytes > UINT32_MAX) return;
    const size_t size = std::max<uint64_t>(tile_bytes, t.data_size);
    buffer.assign(size, 0);
    if (!opj_decode_tile_data(o.codec, t.index, buffer.data(), OPJ_UINT32(size), o.stream)) return;
    unpack(unpacker, image, t, buffer.data(), im);
  }
  opj_end_decompress(o.codec, o.stream);
}

}  // namespace

ImageInfo probe_jpeg2000(ByteView bytes) {
  const J2kHeader h = parse_header(bytes);
  ImageInfo info;
  info.format = ImageFormat::kJpeg2000;
  info.width = h.width;
  info.height = h.height;
  info.channels_in_file = h.components;
  info.bits_per_channel = h.mode == J2kMode::kI16 ? 16 : 8;
  return info;
}

RgbImage decode_jpeg2000(ByteView bytes, uint64_t max_pixels) {
  const J2kHeader h = parse_header(bytes);
  check_pixel_limit("jpeg2000", h.width, h.height, max_pixels);
  PillowImage im(h.mode, h.width, h.height);
  decode_tiles(bytes, h.jp2, max_pixels, im);
  RgbImage out = new_rgb(h.width, h.height);
  const size_t pixels = size_t(h.width) * h.height;
  const uint8_t* in = im.data.data();
  uint8_t* o = out.pixels.data();
  for (size_t i = 0; i < pixels; ++i, o += 3, in += im.pixel_bytes) {
    switch (h.mode) {
      case J2kMode::kL: o[0] = o[1] = o[2] = in[0]; break;
      case J2kMode::kI16: {
        uint16_t v;
        std::memcpy(&v, in, 2);
        o[0] = o[1] = o[2] = v > 255 ? 255 : uint8_t(v);
        break;
      }
      case J2kMode::kLA: o[0] = o[1] = o[2] = in[0]; break;
      case J2kMode::kRgb:
      case J2kMode::kRgba: o[0] = in[0], o[1] = in[1], o[2] = in[2]; break;
      case J2kMode::kCmyk: cmyk_to_rgb_pixel(in, o); break;
    }
  }
  return out;
}

}  // namespace mimicit::image::internal
