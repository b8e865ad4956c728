// Image limits on crafted files: decompression bombs (headers claiming
// billions of pixels over a few bytes of data) in every format (AVIF aside:
// libavif refuses such headers itself, and its pictures are checked before
// decoding too) are
// Error(kLimit) before any pixel memory is allocated, through decode_rgb
// and the Preprocessor alike; a file exactly at max_pixels decodes; a
// progressive JPEG of more than 500 scans is Error(kLimit) rather than
// minutes of decoding. docs/reliability.md lists the limits.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/preprocess.h"
#include "util/crc32.h"

namespace mimicit::image {
namespace {

using Bytes = std::vector<uint8_t>;

void put_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
}
void put_le16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void put_le32(Bytes& out, uint32_t v) {
  put_le16(out, v & 0xffff);
  put_le16(out, v >> 16);
}

void png_chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, uint32_t(data.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  put_be32(out, crc32(ByteView(typed.data(), typed.size())));
}

// An RGB PNG whose header claims width x height over one tiny IDAT.
Bytes png_bomb(uint32_t width, uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no interlace
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  png_chunk(png, "IEND", {});
  return png;
}

// A 24-bit BMP (BITMAPINFOHEADER) claiming width x height, no pixel data.
Bytes bmp_bomb(uint32_t width, uint32_t height) {
  Bytes bmp = {'B', 'M'};
  put_le32(bmp, 54);  // file size (a lie, as in a bomb)
  put_le32(bmp, 0);
  put_le32(bmp, 54);  // pixel data offset
  put_le32(bmp, 40);  // header size
  put_le32(bmp, width);
  put_le32(bmp, height);
  put_le16(bmp, 1);   // planes
  put_le16(bmp, 24);  // bits per pixel
  for (int i = 0; i < 6; ++i) put_le32(bmp, 0);
  return bmp;
}

// A lossless WebP (VP8L) header claiming the largest WebP, 16384 x 16384.
Bytes webp_bomb() {
  Bytes vp8l(20, 0);  // an even payload: signature, size bits, no image data
  vp8l[0] = 0x2f;
  const uint32_t bits = (16384 - 1) | (16384 - 1) << 14;  // width-1, height-1, no alpha, version 0
  for (int i = 0; i < 4; ++i) vp8l[1 + i] = uint8_t(bits >> (8 * i));
  Bytes webp = {'R', 'I', 'F', 'F'};
  put_le32(webp, uint32_t(4 + 8 + vp8l.size()));
  webp.insert(webp.end(), {'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'});
  put_le32(webp, uint32_t(vp8l.size()));
  webp.insert(webp.end(), vp8l.begin(), vp8l.end());
  return webp;
}

// A GIF whose logical screen is 65535 x 65535 (one 1x1 frame).
Bytes gif_bomb() {
  Bytes gif = {'G', 'I', 'F', '8', '9', 'a'};
  put_le16(gif, 65535);
  put_le16(gif, 65535);
  gif.insert(gif.end(), {0, 0, 0});  // no global color table
  gif.push_back(',');
  for (int i = 0; i < 4; ++i) put_le16(gif, i < 2 ? 0 : 1);
  gif.insert(gif.end(), {0, 2, 2, 0x4c, 0x01, 0, ';'});
  return gif;
}

// An uncompressed 8-bit grey TIFF claiming width x height (one strip, no data).
Bytes tiff_bomb(uint32_t width, uint32_t height) {
  Bytes tiff = {'I', 'I', 42, 0};
  put_le32(tiff, 8);
  const uint32_t entries[][3] = {{256, 4, width}, {257, 4, height}, {258, 3, 8},     {259, 3, 1},
                                 {262, 3, 1},     {273, 4, 8},      {278, 4, height}};
  put_le16(tiff, 7);
  for (const auto& e : entries) {
    put_le16(tiff, e[0]), put_le16(tiff, e[1]), put_le32(tiff, 1);
    e[1] == 3 ? (put_le16(tiff, e[2]), put_le16(tiff, 0)) : put_le32(tiff, e[2]);
  }
  put_le32(tiff, 0);
  return tiff;
}

// A JPEG 2000 codestream whose SIZ marker claims width x height.
Bytes j2k_bomb(uint32_t width, uint32_t height) {
  Bytes j2k = {0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0};
  for (uint32_t v : {width, height, 0u, 0u, width, height, 0u, 0u}) put_be32(j2k, v);
  j2k.insert(j2k.end(), {0, 1, 7, 1, 1});
  return j2k;
}

// A 24-bit TGA claiming 65535 x 65535 (its largest), no data.
Bytes tga_bomb() {
  Bytes tga = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  put_le16(tga, 65535), put_le16(tga, 65535);
  tga.insert(tga.end(), {24, 0});
  return tga;
}

// A PCX claiming 65536 x 65536 (its bounding box 0..65535), no data.
Bytes pcx_bomb() {
  Bytes pcx = {10, 5, 1, 8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  pcx.resize(65, 0);
  pcx.insert(pcx.end(), {3, 0, 0});
  pcx.resize(128, 0);
  return pcx;
}

// An ICO whose only entry is a PNG bomb.
Bytes ico_bomb() {
  const Bytes png = png_bomb(100000, 100000);
  Bytes ico = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 32, 0};
  put_le32(ico, uint32_t(png.size()));
  put_le32(ico, 22);
  ico.insert(ico.end(), png.begin(), png.end());
  return ico;
}

RgbImage gradient(uint32_t width, uint32_t height) {
  RgbImage image{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = uint8_t(i * 7);
  return image;
}

// A JPEG claiming width x height: a real 16x16 one with its SOF0 patched.
Bytes jpeg_bomb(uint16_t width, uint16_t height) {
  Buffer jpeg;
  encode_jpeg(gradient(16, 16), jpeg);
  Bytes out(jpeg.data(), jpeg.data() + jpeg.size());
  for (size_t i = 2; i + 9 < out.size(); ++i) {
    if (out[i] == 0xff && out[i + 1] == 0xc0) {
      out[i + 5] = uint8_t(height >> 8), out[i + 6] = uint8_t(height);
      out[i + 7] = uint8_t(width >> 8), out[i + 8] = uint8_t(width);
      return out;
    }
  }
  ADD_FAILURE() << "no SOF0 in the encoded JPEG";
  return out;
}

// The code and message decode_rgb fails with (kInternal when it succeeds).
ErrorCode decode_error(const Bytes& file, std::string* message, const DecodeOptions& options = {}) {
  try {
    decode_rgb(ByteView(file.data(), file.size()), options);
    *message = "decoded";
    return ErrorCode::kInternal;
  } catch (const Error& e) {
    *message = e.what();
    return e.code();
  }
}

TEST(ImageLimits, BombsInEveryFormatAreRefusedBeforeAllocating) {
  struct Case {
    const char* name;
    Bytes file;
    const char* pixels;
  };
  const Case cases[] = {
      {"png", png_bomb(100000, 100000), "png: image size (10000000000 pixels)"},
      {"bmp", bmp_bomb(100000, 100000), "bmp: image size (10000000000 pixels)"},
      {"webp", webp_bomb(), "webp: image size (268435456 pixels)"},
      {"gif", gif_bomb(), "gif: image size (4294836225 pixels)"},
      {"jpeg", jpeg_bomb(65000, 65000), "jpeg: image size (4225000000 pixels)"},
      {"tiff", tiff_bomb(100000, 100000), "tiff: image size (10000000000 pixels)"},
      {"ppm",
       Bytes{'P', '6', ' ', '9', '9', '9', '9', '9', ' ', '9', '9', '9', '9', '9', ' ', '2', '5', '5', ' '},
       "ppm: image size (9999800001 pixels)"},
      {"tga", tga_bomb(), "tga: image size (4294836225 pixels)"},
      {"pcx", pcx_bomb(), "pcx: image size (4294967296 pixels)"},
      {"ico", ico_bomb(), "png: image size (10000000000 pixels)"},
      {"jpeg2000", j2k_bomb(100000, 100000), "jpeg2000: image size (10000000000 pixels)"},
  };
  // The training path at Pillow's limit too (its default is the
  // reference's 1e9 pixels, above the WebP bomb).
  PreprocessOptions pillow_limit;
  pillow_limit.max_pixels = kPillowMaxPixels;
  Preprocessor preprocessor(pillow_limit);
  std::vector<float> chw(preprocessor.output_size());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string message;
    EXPECT_EQ(decode_error(c.file, &message), ErrorCode::kLimit) << message;
    EXPECT_NE(message.find(c.pixels), std::string::npos) << message;
    EXPECT_NE(message.find("exceeds limit of 89478485 pixels, could be decompression bomb"),
              std::string::npos)
        << message;
    try {
      preprocessor.to_chw(ByteView(c.file.data(), c.file.size()), chw);
      ADD_FAILURE() << "the Preprocessor decoded a bomb";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    }
  }
}

// The limit is inclusive: width * height == max_pixels decodes.
TEST(ImageLimits, MaxPixelsIsInclusive) {
  Buffer png;
  encode_png(gradient(20, 10), png);
  const Bytes file(png.data(), png.data() + png.size());
  DecodeOptions options;
  options.max_pixels = 200;
  std::string message;
  EXPECT_EQ(decode_error(file, &message, options), ErrorCode::kInternal) << message;
  options.max_pixels = 199;
  EXPECT_EQ(decode_error(file, &message, options), ErrorCode::kLimit) << message;
  EXPECT_NE(message.find("png: image size (200 pixels) exceeds limit of 199 pixels"), std::string::npos)
      << message;
}

// A progressive 32x32 JPEG whose last scan is repeated until the file has
// `scans` scans (libjpeg warns about the bogus progression and goes on,
// rereading the coefficients each time).
Bytes progressive_jpeg(int scans) {
  const RgbImage image = gradient(32, 32);
  tjhandle handle = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(handle, image.pixels.data(), 32, 0, 32, TJPF_RGB, &jpeg, &size, TJSAMP_420, 90,
                             TJFLAG_PROGRESSIVE);
  Bytes file(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(handle);
  EXPECT_EQ(rc, 0);
  std::vector<size_t> sos;
  for (size_t i = 2; i + 1 < file.size(); ++i) {
    if (file[i] == 0xff && file[i + 1] == 0xda) sos.push_back(i);
  }
  EXPECT_GE(sos.size(), 2u);
  EXPECT_LE(sos.size(), size_t(scans));
  const Bytes last(file.begin() + long(sos.back()), file.end() - 2);  // up to EOI
  file.resize(file.size() - 2);
  for (size_t n = sos.size(); n < size_t(scans); ++n) file.insert(file.end(), last.begin(), last.end());
  file.insert(file.end(), {0xff, 0xd9});
  return file;
}

TEST(ImageLimits, ProgressiveJpegScans) {
  std::string message;
  EXPECT_EQ(decode_error(progressive_jpeg(500), &message), ErrorCode::kInternal) << message;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(decode_error(progressive_jpeg(501), &message), ErrorCode::kLimit) << message;
  EXPECT_NE(message.find("jpeg: Progressive JPEG image has more than 500 scans"), std::string::npos)
      << message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The decoder stays usable for the next image on this thread.
  EXPECT_EQ(decode_error(progressive_jpeg(10), &message), ErrorCode::kInternal) << message;
}

}  // namespace
}  // namespace mimicit::image
