// The PNG fast path (src/image/png.cc, png_unfilter.cc, png_rows.cc):
//   - the SIMD unfilter kernels equal the specification's formulas on random
//     data, for every filter type, every pixel size 1..8 and odd widths;
//   - decode_png (libdeflate + SIMD) gives the same pixels as the row-by-row
//     path on PNGs written here of every color type, bit depth, filter type
//     and interlacing, with one or many IDAT chunks, and on damaged ones
//     (bad filter type, cut or corrupt stream, trailing data), where the
//     fast path must hand over to it;
//   - the row-by-row path keeps the rows Pillow keeps on a bad filter type
//     and a wrong adler32.
// Pillow-exactness of both is tested in tests/python/test_png_decode.py.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/error.h"
#include "util/crc32.h"

namespace mimicit::image::internal {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------
// Unfilter kernels

TEST(PngUnfilter, KernelsMatchTheReferenceOnRandomRows) {
  std::mt19937 rng(12);
  constexpr size_t kSlack = 16;
  for (uint8_t filter = 0; filter <= 4; ++filter) {
    for (unsigned bpp = 1; bpp <= 8; ++bpp) {
      for (size_t width : {1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 63, 100, 641}) {
        for (bool first_row : {false, true}) {
          SCOPED_TRACE("filter " + std::to_string(filter) + " bpp " + std::to_string(bpp) + " width " +
                       std::to_string(width) + (first_row ? " first row" : ""));
          const size_t n = width * bpp;
          Bytes prev(n + kSlack, 0), row(n + kSlack);
          for (auto& v : row) v = uint8_t(rng());
          if (!first_row) {
            for (size_t i = 0; i < n; ++i) prev[i] = uint8_t(rng());
          }
          Bytes expected = row;
          ASSERT_TRUE(png_unfilter_row_reference(filter, expected.data(), prev.data(), n, bpp));
          Bytes got = row;
          ASSERT_TRUE(png_unfilter_row(filter, got.data(), prev.data(), n, bpp));
          ASSERT_EQ(got, expected);  // slack bytes included: never written
        }
      }
    }
  }
}

// Paeth's ties and its 9-bit distances at the extremes: every (a, b, c) of
// a set of edge values, for 3- and 4-byte pixels.
TEST(PngUnfilter, PaethEdgeValues) {
  const uint8_t values[] = {0, 1, 2, 127, 128, 129, 253, 254, 255};
  for (unsigned bpp : {1u, 3u, 4u, 8u}) {
    Bytes prev, row;
    for (uint8_t b : values) {
      for (uint8_t c : values) {
        for (uint8_t x : values) {  // x decides a through the previous pixel
          for (unsigned k = 0; k < bpp; ++k) {
            prev.push_back(c), row.push_back(x);
          }
          for (unsigned k = 0; k < bpp; ++k) {
            prev.push_back(b), row.push_back(uint8_t(x * 7 + b));
          }
        }
      }
    }
    const size_t n = row.size();
    prev.resize(n + 16), row.resize(n + 16);
    Bytes expected = row, got = row;
    ASSERT_TRUE(png_unfilter_row_reference(kFilterPaeth, expected.data(), prev.data(), n, bpp));
    ASSERT_TRUE(png_unfilter_row(kFilterPaeth, got.data(), prev.data(), n, bpp));
    EXPECT_EQ(got, expected) << "bpp " << bpp;
  }
}

// png_unfilter_lines on whole images whose scanlines use runs of Paeth of
// every length (it unfilters up to 4 Paeth lines together), mixed with the
// other filters, against the reference applied line by line.
TEST(PngUnfilter, LinesMatchTheReferenceWithPaethRuns) {
  std::mt19937 rng(5);
  for (unsigned bpp : {1u, 2u, 3u, 4u, 6u, 8u}) {
    for (size_t width : {1, 2, 3, 9, 64, 127}) {
      const size_t row_bytes = width * bpp, stride = row_bytes + 1, height = 40;
      Bytes image(stride * height + 16);
      for (auto& v : image) v = uint8_t(rng());
      // Filter types: runs of 1..6 Paeth lines separated by other types.
      for (size_t y = 0, run = 1; y < height;) {
        for (size_t k = 0; k < run && y < height; ++k) image[stride * y++] = kFilterPaeth;
        if (y < height) image[stride * y++] = uint8_t(rng() % 4);
        run = run % 6 + 1;
      }
      Bytes expected = image, got = image;
      const Bytes zeros(row_bytes + 16, 0);
      const uint8_t* prev = zeros.data();
      for (size_t y = 0; y < height; ++y) {
        uint8_t* line = expected.data() + y * stride;
        ASSERT_TRUE(png_unfilter_row_reference(line[0], line + 1, prev, row_bytes, bpp));
        prev = line + 1;
      }
      prev = zeros.data();
      for (size_t y = 0; y < height;) {
        uint8_t* line = got.data() + y * stride;
        const size_t done = png_unfilter_lines(line, height - y, prev, row_bytes, bpp);
        ASSERT_GE(done, 1u);
        ASSERT_LE(done, height - y);
        prev = line + (done - 1) * stride + 1;
        y += done;
      }
      ASSERT_EQ(got, expected) << "bpp " << bpp << " width " << width;
    }
  }
}

TEST(PngUnfilter, UnknownFilterTypeIsRefused) {
  Bytes row(64, 9), prev(64, 3);
  for (uint8_t filter : {5, 6, 128, 255}) {
    EXPECT_FALSE(png_unfilter_row(filter, row.data(), prev.data(), 32, 3));
    EXPECT_FALSE(png_unfilter_row_reference(filter, row.data(), prev.data(), 32, 3));
  }
  EXPECT_EQ(row, Bytes(64, 9));
  Bytes lines = {kFilterPaeth, 1, 2, 3, 7, 4, 5, 6};  // a Paeth line, then type 7
  Bytes zeros(32, 0);
  EXPECT_EQ(png_unfilter_lines(lines.data() + 4, 1, zeros.data(), 3, 3), 0u);
}

// ---------------------------------------------------------------------------
// A small PNG writer: any color type, depth, filter sequence, interlacing
// and IDAT split.

void put_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
}

void chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, uint32_t(data.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  put_be32(out, crc32(ByteView(typed.data(), typed.size())));
}

struct PngSpec {
  uint32_t width, height;
  int depth, color_type;
  bool interlaced = false;
  size_t idat_size = 0;  // split IDAT into chunks of this size (0: one chunk)
};

unsigned bits_per_pixel(const PngSpec& s) { return unsigned(png_channels(s.color_type) * s.depth); }

// Filters one scanline with `filter` (the inverse of the reference).
Bytes filter_row(uint8_t filter, const Bytes& raw, const Bytes& prev_raw, unsigned bpp) {
  Bytes out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    int a = i >= bpp ? raw[i - bpp] : 0, b = prev_raw[i], c = i >= bpp ? prev_raw[i - bpp] : 0;
    int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    int predicted[] = {0, a, b, (a + b) >> 1, paeth};
    out[i] = uint8_t(raw[i] - predicted[filter]);
  }
  return out;
}

// Samples of pixel (x, y) of the image `raw` (scanlines of `row_bytes`)
// appended as bits to a scanline being built.
void copy_pixel(const Bytes& raw, size_t row_bytes, uint32_t x, uint32_t y, unsigned bits, Bytes& line,
                uint32_t k) {
  for (unsigned bit = 0; bit < bits; ++bit) {
    size_t from = size_t(x) * bits + bit, to = size_t(k) * bits + bit;
    int v = raw[y * row_bytes + (from >> 3)] >> (7 - (from & 7)) & 1;
    line[to >> 3] = uint8_t(line[to >> 3] | v << (7 - (to & 7)));
  }
}

// The scanlines of the image `raw` in file order (Adam7 passes when
// interlaced), each filtered with the next type of `filters`.
Bytes filtered_stream(const PngSpec& s, const Bytes& raw, const std::vector<uint8_t>& filters) {
  const unsigned bits = bits_per_pixel(s), bpp = bits < 8 ? 1 : bits / 8;
  const size_t row_bytes = (size_t(s.width) * bits + 7) / 8;
  static constexpr uint32_t x0[] = {0, 4, 0, 2, 0, 1, 0}, y0[] = {0, 0, 4, 0, 2, 0, 1};
  static constexpr uint32_t dx[] = {8, 8, 4, 4, 2, 2, 1}, dy[] = {8, 8, 8, 4, 4, 2, 2};
  Bytes stream;
  size_t next_filter = 0;
  for (int p = 0; p < (s.interlaced ? 7 : 1); ++p) {
    const uint32_t sx = s.interlaced ? x0[p] : 0, sy = s.interlaced ? y0[p] : 0;
    const uint32_t ex = s.interlaced ? dx[p] : 1, ey = s.interlaced ? dy[p] : 1;
    if (s.width <= sx || s.height <= sy) continue;
    const uint32_t w = (s.width - sx + ex - 1) / ex, h = (s.height - sy + ey - 1) / ey;
    const size_t pass_bytes = (size_t(w) * bits + 7) / 8;
    Bytes prev(pass_bytes, 0);
    for (uint32_t l = 0; l < h; ++l) {
      Bytes line(pass_bytes, 0);
      for (uint32_t k = 0; k < w; ++k) copy_pixel(raw, row_bytes, sx + k * ex, sy + l * ey, bits, line, k);
      uint8_t filter = filters[next_filter++ % filters.size()];
      stream.push_back(filter);
      Bytes filtered = filter_row(filter, line, prev, bpp);
      stream.insert(stream.end(), filtered.begin(), filtered.end());
      prev = line;
    }
  }
  return stream;
}

Bytes deflate(const Bytes& data) {
  uLongf size = compressBound(uLong(data.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, data.data(), uLong(data.size()), 6), Z_OK);
  out.resize(size);
  return out;
}

Bytes png_file(const PngSpec& s, const Bytes& zlib_stream, const Bytes& palette = {}) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, s.width);
  put_be32(ihdr, s.height);
  ihdr.insert(ihdr.end(), {uint8_t(s.depth), uint8_t(s.color_type), 0, 0, uint8_t(s.interlaced)});
  chunk(png, "IHDR", ihdr);
  if (!palette.empty()) chunk(png, "PLTE", palette);
  chunk(png, "tEXt", Bytes{'k', 0, 'v'});
  const size_t step = s.idat_size ? s.idat_size : zlib_stream.size();
  for (size_t at = 0; at < zlib_stream.size(); at += step) {
    chunk(png, "IDAT",
          Bytes(zlib_stream.begin() + long(at),
                zlib_stream.begin() + long(std::min(zlib_stream.size(), at + step))));
  }
  chunk(png, "IEND", {});
  return png;
}

Bytes random_raw(const PngSpec& s, std::mt19937& rng) {
  const size_t row_bytes = (size_t(s.width) * bits_per_pixel(s) + 7) / 8;
  Bytes raw(row_bytes * s.height);
  // Smooth-ish data (so every filter's predictions matter), with noise.
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = uint8_t(i / 3 + (rng() & 15));
  return raw;
}

Bytes palette_of(int entries) {
  Bytes palette;
  for (int i = 0; i < entries; ++i)
    palette.insert(palette.end(), {uint8_t(i * 3), uint8_t(255 - i), uint8_t(i * 7)});
  return palette;
}

RgbImage fast(const Bytes& png) { return decode_png(ByteView(png.data(), png.size()), 1u << 30); }
RgbImage rowwise(const Bytes& png) { return decode_png_rowwise(ByteView(png.data(), png.size()), 1u << 30); }

void expect_same(const Bytes& png, const std::string& what) {
  RgbImage a = fast(png), b = rowwise(png);
  ASSERT_EQ(a.width, b.width) << what;
  ASSERT_EQ(a.height, b.height) << what;
  ASSERT_EQ(a.pixels, b.pixels) << what;
}

struct Layout {
  int color_type;
  std::vector<int> depths;
};
const Layout kLayouts[] = {
    {kPngGrey, {1, 2, 4, 8, 16}}, {kPngRgb, {8, 16}},  {kPngPalette, {1, 2, 4, 8}},
    {kPngGreyAlpha, {8, 16}},     {kPngRgba, {8, 16}},
};

TEST(PngFastPath, SameAsRowwiseForEveryLayout) {
  std::mt19937 rng(7);
  const std::vector<std::vector<uint8_t>> filter_sets = {{0}, {1}, {2}, {3}, {4}, {4, 1, 3, 0, 2}};
  for (const Layout& layout : kLayouts) {
    for (int depth : layout.depths) {
      for (bool interlaced : {false, true}) {
        for (auto [w, h] : {std::pair{1u, 1u}, {3u, 2u}, {17u, 9u}, {33u, 31u}, {64u, 5u}}) {
          for (size_t f = 0; f < filter_sets.size(); ++f) {
            PngSpec s{w, h, depth, layout.color_type, interlaced, f == 5 ? 7u : 0u};
            const Bytes raw = random_raw(s, rng);
            Bytes palette =
                layout.color_type == kPngPalette ? palette_of(std::min(200, 1 << depth)) : Bytes{};
            Bytes png = png_file(s, deflate(filtered_stream(s, raw, filter_sets[f])), palette);
            expect_same(png, "type " + std::to_string(layout.color_type) + " depth " + std::to_string(depth) +
                                 (interlaced ? " interlaced " : " ") + std::to_string(w) + "x" +
                                 std::to_string(h) + " filters " + std::to_string(f));
          }
        }
      }
    }
  }
}

// A PNG of `w` x `h` 8-bit RGB whose rows use every filter.
Bytes rgb_png(uint32_t w, uint32_t h, Bytes* stream_out = nullptr) {
  std::mt19937 rng(3);
  PngSpec s{w, h, 8, kPngRgb};
  Bytes stream = filtered_stream(s, random_raw(s, rng), {4, 1, 3, 0, 2});
  if (stream_out) *stream_out = stream;
  return png_file(s, deflate(stream));
}

// Damaged files: the fast path must give up and the row-by-row path decode
// what it can.
TEST(PngFastPath, DamagedStreamsFallBackToRowwise) {
  Bytes stream;
  const Bytes good = rgb_png(40, 30, &stream);
  PngSpec s{40, 30, 8, kPngRgb};
  const size_t line = 40 * 3 + 1;
  {  // a bad filter type in row 12: rows before it decoded, the rest black
    Bytes bad = stream;
    bad[12 * line] = 9;
    expect_same(png_file(s, deflate(bad)), "bad filter type");
  }
  {  // a stream that ends early (complete zlib stream, too few rows)
    Bytes shorter(stream.begin(), stream.begin() + long(20 * line + 7));
    expect_same(png_file(s, deflate(shorter)), "short stream");
  }
  {  // more data than the image needs
    Bytes longer = stream;
    longer.insert(longer.end(), 500, 0);
    expect_same(png_file(s, deflate(longer)), "long stream");
  }
  {  // a cut zlib stream
    Bytes z = deflate(stream);
    z.resize(z.size() / 2);
    expect_same(png_file(s, z), "cut stream");
  }
  {  // a bad Adler-32
    Bytes z = deflate(stream);
    z.back() ^= 1;
    expect_same(png_file(s, z), "bad adler");
  }
  {  // corrupt deflate data in the middle
    Bytes z = deflate(stream);
    for (size_t i = z.size() / 2; i < z.size() / 2 + 8; ++i) z[i] ^= 0x5a;
    expect_same(png_file(s, z), "corrupt deflate data");
  }
  // The file cut anywhere: every prefix decodes the same or fails the same.
  for (size_t cut = 40; cut < good.size(); cut += 7) {
    Bytes prefix(good.begin(), good.begin() + long(cut));
    std::string a, b;
    RgbImage ia, ib;
    try {
      ia = fast(prefix);
    } catch (const Error& e) {
      a = e.what();
    }
    try {
      ib = rowwise(prefix);
    } catch (const Error& e) {
      b = e.what();
    }
    ASSERT_EQ(a, b) << "cut at " << cut;
    ASSERT_EQ(ia.pixels, ib.pixels) << "cut at " << cut;
  }
}

// The rows Pillow keeps: those before a bad filter type; all but the last
// when zlib meets a wrong adler32 in the piece that completes the image;
// all when the checksum lies in a later IDAT chunk (zlib is not asked for
// more once the image is full).
TEST(PngRowwise, KeepsTheRowsPillowKeeps) {
  Bytes stream;
  rgb_png(40, 30, &stream);
  const PngSpec s{40, 30, 8, kPngRgb};
  const size_t line = 40 * 3 + 1;
  const RgbImage whole = fast(png_file(s, deflate(stream)));
  auto rows_kept = [&](const RgbImage& got) {
    size_t rows = 0;
    while (rows < 30 &&
           std::equal(got.pixels.begin() + long(rows * 120), got.pixels.begin() + long(rows * 120 + 120),
                      whole.pixels.begin() + long(rows * 120))) {
      ++rows;
    }
    for (size_t i = rows * 120; i < got.pixels.size(); ++i)
      EXPECT_EQ(got.pixels[i], 0) << "black after the rows kept";
    return rows;
  };
  Bytes bad = stream;
  bad[12 * line] = 9;
  EXPECT_EQ(rows_kept(rowwise(png_file(s, deflate(bad)))), 12u);
  Bytes z = deflate(stream);
  z.back() ^= 1;
  EXPECT_EQ(rows_kept(rowwise(png_file(s, z))), 29u);
  Bytes png = png_file(s, Bytes(z.begin(), z.end() - 4));
  png.resize(png.size() - 12);  // drop IEND: the checksum goes in its own IDAT chunk
  chunk(png, "IDAT", Bytes(z.end() - 4, z.end()));
  chunk(png, "IEND", {});
  EXPECT_EQ(rows_kept(rowwise(png)), 30u);
}

// Another chunk between two IDAT chunks ends the image data for Pillow:
// the fast path gathers only the first run of IDATs, so both agree.
TEST(PngFastPath, IdatRunEndsAtTheFirstOtherChunk) {
  Bytes stream;
  rgb_png(20, 10, &stream);
  const Bytes z = deflate(stream);
  PngSpec s{20, 10, 8, kPngRgb};
  Bytes png = png_file(s, Bytes(z.begin(), z.begin() + long(z.size() / 2)));
  png.resize(png.size() - 12);  // drop IEND
  chunk(png, "tEXt", Bytes{'a', 0, 'b'});
  chunk(png, "IDAT", Bytes(z.begin() + long(z.size() / 2), z.end()));
  chunk(png, "IEND", {});
  expect_same(png, "split by tEXt");
}

// Decoding many images on one thread reuses the scratch buffer; a large
// image, then a small one, then a large one again, all stay correct.
TEST(PngFastPath, ScratchReuseAcrossSizes) {
  for (auto [w, h] : {std::pair{300u, 200u}, {5u, 3u}, {1200u, 900u}, {7u, 9u}, {300u, 201u}}) {
    expect_same(rgb_png(w, h), std::to_string(w) + "x" + std::to_string(h));
  }
}

// ---------------------------------------------------------------------------
// encode_png_fast (libdeflate) against the zlib Z_RLE encoder it replaced

// Gradients plus noise (sizes are compared on photographs, by
// bench/png_encode_bench.cc, not here).
RgbImage noisy_gradient(uint32_t width, uint32_t height, uint32_t seed) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(size_t(width) * height * 3);
  std::mt19937 rng(seed);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[(size_t(y) * width + x) * 3];
      p[0] = uint8_t(x * 255 / std::max(1u, width - 1) + rng() % 9);
      p[1] = uint8_t(y * 255 / std::max(1u, height - 1) + rng() % 9);
      p[2] = uint8_t((x + y) / 3 + rng() % 5);
    }
  }
  return image;
}

// Walks the chunks: signature, IHDR first, every CRC right, IEND last.
std::vector<std::string> checked_chunks(const Buffer& png) {
  std::vector<std::string> types;
  const uint8_t* b = png.data();
  EXPECT_EQ(std::memcmp(b, "\x89PNG\r\n\x1a\n", 8), 0);
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const uint32_t length = load_be32(b + pos);
    types.emplace_back(reinterpret_cast<const char*>(b + pos + 4), 4);
    EXPECT_EQ(load_be32(b + pos + 8 + length), crc32({b + pos + 4, size_t(length) + 4})) << types.back();
    pos += 12 + size_t(length);
  }
  EXPECT_EQ(pos, png.size());
  return types;
}

TEST(PngFastEncode, RoundTripsWithValidChunksAsZlibRleDoes) {
  for (auto [w, h] : {std::pair{640u, 480u}, {1u, 1u}, {1u, 300u}, {300u, 1u}, {37u, 23u}}) {
    const std::string what = std::to_string(w) + "x" + std::to_string(h);
    RgbImage image = noisy_gradient(w, h, w * 31 + h);
    Buffer fast, rle;
    encode_png_fast(image, fast);
    encode_png_rle(image, rle);
    EXPECT_EQ(checked_chunks(fast), (std::vector<std::string>{"IHDR", "IDAT", "IEND"})) << what;
    EXPECT_EQ(decode_rgb(fast).pixels, image.pixels) << what;
    EXPECT_EQ(decode_png_rowwise(fast.view(), uint64_t(w) * h).pixels, image.pixels) << what;
    EXPECT_EQ(decode_rgb(rle).pixels, image.pixels) << what;
  }
}

TEST(PngFastEncode, ThreadBuffersFollowTheSize) {
  // Large (released after the image), small, large again, and an image past
  // the libdeflate path's limit (zlib Z_RLE through libspng).
  for (auto [w, h] : {std::pair{2000u, 1200u}, {5u, 3u}, {2000u, 1201u}, {3500u, 3300u}}) {
    RgbImage image = noisy_gradient(w, h, w + h);
    Buffer png;
    encode_png_fast(image, png);
    EXPECT_EQ(decode_rgb(png).pixels, image.pixels) << w << "x" << h;
  }
}

}  // namespace
}  // namespace mimicit::image::internal
