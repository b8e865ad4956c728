// PBM/PGM/PPM (P1..P6), parsed here (no library), as Pillow's
// PpmImagePlugin reads them, then convert("RGB"):
//   - header tokens end at whitespace; '#' starts a comment that runs to
//     the end of the line and may sit inside a token ("4#c\n2" is 42);
//     tokens of more than 10 characters, or a maxval outside 1..65535, fail;
//   - P4 (and P1) are bilevel: 1 is black;
//   - binary data (P4, P5, P6) at maxval 255 (and P5 at 65535) is read row
//     by row: a cut file keeps its whole rows, the others stay black;
//   - any other maxval scales each sample to round(v / maxval * 255) (round
//     half to even, as Python's round; values above maxval clip to 255),
//     except P5 above 255, which Pillow keeps as 32-bit "I" (scaled to
//     0..65535) and whose convert("RGB") clips to 255; there, and in the
//     plain formats (P1, P2, P3), a file cut short fails ("not enough image
//     data"), and a plain sample above maxval or not a number fails too.
// Pillow's other PPM variants (Pf floats, P0CMYK, PyP/PyRGBA/PyCMYK) are
// kUnsupported.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Python's int() of an ASCII token: optional sign, digits, single
// underscores between digits. nullopt-like -1 for anything else; values
// over 2^40 saturate (every use refuses them anyway).
int64_t parse_int(std::string_view token) {
  size_t i = 0;
  bool negative = false;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) negative = token[i++] == '-';
  if (i == token.size()) return -1;
  int64_t value = 0;
  bool digit_before = false;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '_' && digit_before && i + 1 < token.size() && token[i + 1] != '_') {
      digit_before = false;
      continue;
    }
    if (c < '0' || c > '9') return -1;
    digit_before = true;
    if (value < (int64_t(1) << 40)) value = value * 10 + (c - '0');
  }
  if (!digit_before) return -1;
  return negative ? (value == 0 ? 0 : -2) : value;
}

struct PpmHeader {
  char kind = 0;  // '1'..'6'
  uint32_t width = 0, height = 0;
  uint32_t maxval = 1;  // 1 for P1/P4
  size_t data_offset = 0;
};

// PpmImageFile._read_token over the bytes.
class HeaderReader {
 public:
  explicit HeaderReader(ByteView b) : b_(b) {}
  size_t pos = 0;

  std::string token() {
    std::string token;
    while (token.size() <= 10) {
      if (pos >= b_.size()) break;
      const uint8_t c = b_[pos++];
      if (is_space(c)) {
        if (token.empty()) continue;
        break;
      }
      if (c == '#') {
        while (pos < b_.size() && b_[pos] != '\r' && b_[pos] != '\n') ++pos;
        if (pos < b_.size()) ++pos;  // the line end goes with the comment
        continue;
      }
      token += char(c);
    }
    if (token.empty()) fail_corrupt("ppm: Reached EOF while reading header");
    if (token.size() > 10) fail_corrupt("ppm: Token too long in file header");
    return token;
  }

  uint32_t dimension() {
    const int64_t v = parse_int(token());
    if (v <= 0 || v > int64_t(UINT32_MAX)) fail_corrupt("ppm: invalid image size in the header");
    return uint32_t(v);
  }

 private:
  ByteView b_;
};

PpmHeader parse_header(ByteView b) {
  PpmHeader h;
  // _read_magic: up to 6 characters, ending at whitespace.
  size_t n = 0;
  while (n < 6 && n < b.size() && !is_space(b[n])) ++n;
  std::string_view magic(reinterpret_cast<const char*>(b.data()), n);
  if (magic.size() != 2 || magic[0] != 'P' || magic[1] < '1' || magic[1] > '6') {
    if (magic == "Pf" || magic == "P0CMYK" || magic == "PyP" || magic == "PyRGBA" || magic == "PyCMYK") {
      fail_unsupported("ppm: the {} variant is not supported", magic);
    }
    fail_corrupt("ppm: not a PPM file");
  }
  h.kind = magic[1];
  HeaderReader reader(b);
  reader.pos = n < b.size() ? n + 1 : n;
  h.width = reader.dimension();
  h.height = reader.dimension();
  if (h.kind != '1' && h.kind != '4') {
    const int64_t maxval = parse_int(reader.token());
    if (maxval == -1) fail_corrupt("ppm: maxval is not a number");
    if (maxval <= 0 || maxval >= 65536)
      fail_corrupt("ppm: maxval must be greater than 0 and less than 65536");
    h.maxval = uint32_t(maxval);
  }
  h.data_offset = reader.pos;
  return h;
}

int bands(const PpmHeader& h) { return h.kind == '3' || h.kind == '6' ? 3 : 1; }

// The grey or color value Pillow's mode holds -> RGB bytes.
void put(uint8_t* out, int n, const uint8_t* samples) {
  if (n == 1) {
    out[0] = out[1] = out[2] = samples[0];
  } else {
    std::memcpy(out, samples, 3);
  }
}

// P4/P5/P6 at maxval 255, and P5 at 65535: Pillow's raw decoder, whole rows.
void decode_raw(ByteView b, const PpmHeader& h, RgbImage& image) {
  const int n = bands(h);
  const bool bilevel = h.kind == '4', wide = h.maxval == 65535;
  const size_t row_bytes = bilevel ? (size_t(h.width) + 7) / 8 : size_t(h.width) * n * (wide ? 2 : 1);
  const size_t available = b.size() - h.data_offset;
  const size_t rows = std::min<size_t>(h.height, available / row_bytes);
  for (size_t y = 0; y < rows; ++y) {
    const uint8_t* in = &b[h.data_offset + y * row_bytes];
    uint8_t* out = &image.pixels[y * h.width * 3];
    for (uint32_t x = 0; x < h.width; ++x, out += 3) {
      uint8_t v[3];
      if (bilevel) {
        v[0] = (in[x >> 3] >> (7 - (x & 7))) & 1 ? 0 : 255;  // "1;I"
      } else if (wide) {
        const uint16_t s = load_be16(in + 2 * x);  // "I;16B" into I, clipped
        v[0] = s > 255 ? 255 : uint8_t(s);
      } else {
        std::memcpy(v, in + size_t(x) * n, n);
      }
      put(out, n, v);
    }
  }
}

// round(value / maxval * out_max) as Python computes it (half to even).
uint32_t scale(uint32_t value, uint32_t maxval, uint32_t out_max) {
  return uint32_t(std::nearbyint(double(value) / double(maxval) * double(out_max)));
}

// Pillow's "I" image (P2/P5 above 255) and others: 0..out_max -> RGB byte.
uint8_t to_byte(uint32_t v) { return v > 255 ? 255 : uint8_t(v); }

[[noreturn]] void not_enough() { fail_corrupt("ppm: not enough image data"); }

// PpmDecoder: binary samples at any other maxval, pixel by pixel.
void decode_scaled(ByteView b, const PpmHeader& h, RgbImage& image) {
  const int n = bands(h);
  const size_t wide = h.maxval < 256 ? 1 : 2;
  const uint32_t out_max = n == 1 && h.maxval > 255 ? 65535 : 255;
  const size_t pixels = size_t(h.width) * h.height;
  if ((b.size() - h.data_offset) / (wide * n) < pixels) not_enough();
  const uint8_t* in = &b[h.data_offset];
  uint8_t* out = image.pixels.data();
  for (size_t i = 0; i < pixels; ++i, out += 3) {
    uint8_t v[3];
    for (int c = 0; c < n; ++c, in += wide) {
      const uint32_t s = wide == 1 ? in[0] : load_be16(in);
      const uint32_t scaled = scale(s, h.maxval, out_max);
      v[c] = to_byte(scaled > out_max ? out_max : scaled);
    }
    put(out, n, v);
  }
}

// PpmPlainDecoder: P1, P2, P3, read in Pillow's 1 MiB blocks (which decide
// how far after the image data its checks reach).
class PlainReader {
 public:
  PlainReader(ByteView b, size_t pos) : b_(b), pos_(pos) {}

  // The next block, with comments removed, into `out`; false at the end
  // of the file.
  bool block(std::string& out) {
    if (pos_ >= b_.size()) return false;
    const size_t n = std::min<size_t>(kBlock, b_.size() - pos_);
    out.assign(reinterpret_cast<const char*>(&b_[pos_]), n);
    pos_ += n;
    out = strip_comments(std::move(out));
    return true;
  }

 private:
  static constexpr size_t kBlock = 1024 * 1024;  // ImageFile.SAFEBLOCK

  // The lowest of the next '\n' and '\r' from `from`, or npos.
  static size_t line_end(const std::string& s, size_t from) {
    const size_t a = s.find('\n', from), c = s.find('\r', from);
    return std::min(a, c);
  }

  std::string strip_comments(std::string block) {
    if (in_comment_) {
      for (;;) {
        const size_t end = line_end(block, 0);
        if (end != std::string::npos) {
          block.erase(0, end + 1);
          break;
        }
        if (pos_ >= b_.size()) return {};
        const size_t n = std::min<size_t>(kBlock, b_.size() - pos_);
        block.assign(reinterpret_cast<const char*>(&b_[pos_]), n);
        pos_ += n;
      }
    }
    in_comment_ = false;
    for (;;) {
      const size_t start = block.find('#');
      if (start == std::string::npos) break;
      const size_t end = line_end(block, start);
      if (end == std::string::npos) {
        block.erase(start);
        in_comment_ = true;
        break;
      }
      block.erase(start, end + 1 - start);
    }
    return block;
  }

  ByteView b_;
  size_t pos_;
  bool in_comment_ = false;
};

void decode_plain_bilevel(ByteView b, const PpmHeader& h, RgbImage& image) {
  const size_t total = size_t(h.width) * h.height;
  size_t have = 0;
  uint8_t* out = image.pixels.data();
  PlainReader reader(b, h.data_offset);
  std::string block;
  while (have < total && reader.block(block)) {
    for (char c : block) {  // every token of the block is checked first
      if (!is_space(uint8_t(c)) && c != '0' && c != '1') fail_corrupt("ppm: Invalid token for this mode");
    }
    for (char c : block) {
      if (is_space(uint8_t(c)) || have == total) continue;
      const uint8_t v = c == '0' ? 255 : 0;
      out[3 * have] = out[3 * have + 1] = out[3 * have + 2] = v;
      ++have;
    }
  }
  if (have < total) not_enough();
}

void decode_plain(ByteView b, const PpmHeader& h, RgbImage& image) {
  const int n = bands(h);
  const uint32_t out_max = n == 1 && h.maxval > 255 ? 65535 : 255;
  const size_t total = size_t(h.width) * h.height * n;
  size_t have = 0;
  PlainReader reader(b, h.data_offset);
  std::string half;  // a token the block boundary may have cut
  auto take = [&](std::string_view token) {
    if (token.size() > 10) fail_corrupt("ppm: Token too long found in data");
    const int64_t value = parse_int(token);
    if (value == -1) fail_corrupt("ppm: invalid literal in the image data");
    if (value < 0) fail_corrupt("ppm: Channel value is negative");
    if (value > h.maxval) fail_corrupt("ppm: Channel value too large for this mode");
    const uint8_t v = to_byte(scale(uint32_t(value), h.maxval, out_max));
    const size_t pixel = have / n;
    if (n == 1) {
      image.pixels[3 * pixel] = image.pixels[3 * pixel + 1] = image.pixels[3 * pixel + 2] = v;
    } else {
      image.pixels[3 * pixel + have % 3] = v;
    }
    ++have;
  };
  std::string block;
  while (have < total) {
    if (!reader.block(block)) {
      if (half.empty()) break;
      block = " ";  // flushes the held token
    }
    block = half + block;
    half.clear();
    size_t end = block.size();
    if (!block.empty() && !is_space(uint8_t(block.back()))) {  // the block may cut its last token
      size_t start = end;
      while (start > 0 && !is_space(uint8_t(block[start - 1]))) --start;
      half = block.substr(start);
      if (half.size() > 10) fail_corrupt("ppm: Token too long found in data");
      end = start;
    }
    for (size_t i = 0; i < end && have < total;) {
      while (i < end && is_space(uint8_t(block[i]))) ++i;
      size_t j = i;
      while (j < end && !is_space(uint8_t(block[j]))) ++j;
      if (j > i) take(std::string_view(block).substr(i, j - i));
      i = j;
    }
  }
  if (have < total) not_enough();
}

}  // namespace

ImageInfo probe_ppm(ByteView b) {
  const PpmHeader h = parse_header(b);
  ImageInfo info;
  info.format = ImageFormat::kPpm;
  info.width = h.width;
  info.height = h.height;
  info.channels_in_file = bands(h);
  info.bits_per_channel = h.maxval == 1 ? 1 : h.maxval > 255 ? 16 : 8;
  return info;
}

RgbImage decode_ppm(ByteView bytes, uint64_t max_pixels) {
  const PpmHeader h = parse_header(bytes);
  check_pixel_limit("ppm", h.width, h.height, max_pixels);
  RgbImage image = new_rgb(h.width, h.height);
  const bool plain = h.kind <= '3';
  if (plain && h.kind == '1') {
    decode_plain_bilevel(bytes, h, image);
  } else if (plain) {
    decode_plain(bytes, h, image);
  } else if (h.kind == '4' || h.maxval == 255 || (h.kind == '5' && h.maxval == 65535)) {
    decode_raw(bytes, h, image);
  } else {
    decode_scaled(bytes, h, image);
  }
  return image;
}

}  // namespace mimicit::image::internal
