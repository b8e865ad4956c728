// The formats read by our own parsers (PPM, TGA, PCX, ICO) and the magic
// numbers and headers of all of them, on tiny files built here whose pixels
// are known: sniffing and format names, probe, decoded pixels including the
// rules that differ from a naive reader (PPM's scaling and comments, TGA's
// color maps, origins and RLE, PCX planes, ICO's entry choice), and cut
// headers as kCorrupt. Pillow-exactness of every format, the library-based
// ones included, is tested in tests/python/test_image_formats.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void put_le16(Bytes& out, uint32_t v) { out.insert(out.end(), {uint8_t(v), uint8_t(v >> 8)}); }
void put_le32(Bytes& out, uint32_t v) { put_le16(out, v & 0xffff), put_le16(out, v >> 16); }

RgbImage decode(const Bytes& file) { return decode_rgb(ByteView(file.data(), file.size())); }

// The RGB triples of an image, for compact expectations.
std::vector<std::vector<int>> pixels(const RgbImage& image) {
  std::vector<std::vector<int>> out;
  for (size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
    out.push_back({image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]});
  }
  return out;
}

ErrorCode error_of(const Bytes& file) {
  try {
    decode(file);
    return ErrorCode::kInternal;
  } catch (const Error& e) {
    return e.code();
  }
}

TEST(ImageFormats, SniffsEveryMagicAndNamesFormatsAsPillow) {
  const std::pair<std::string, const char*> cases[] = {
      {std::string("II*\0", 4), "tiff"},
      {std::string("MM\0*", 4), "tiff"},
      {std::string("II+\0", 4), "tiff"},
      {"P6\n1 1\n255\n", "ppm"},
      {"P1 ", "ppm"},
      {std::string("\0\0\1\0", 4), "ico"},
      {"\x0a\x05\x01\x08", "pcx"},
      {"\xff\x4f\xff\x51", "jpeg2000"},
      {std::string("\0\0\0\x0cjP  \r\n\x87\n", 12), "jpeg2000"},
      {std::string("\0\0\0\x1c"
                   "ftypavif",
                   12),
       "avif"},
      {std::string("\0\0\0\x1c"
                   "ftypmif1",
                   12),
       "avif"},
      {"P7 ", "unknown"},
      {"P6x", "unknown"},
      {"<html>", "unknown"},
  };
  for (const auto& [head, name] : cases) {
    EXPECT_STREQ(
        format_name(sniff_format(ByteView(reinterpret_cast<const uint8_t*>(head.data()), head.size()))), name)
        << head;
  }
  // TGA has no magic: a valid header (checked as Pillow does) is one.
  Bytes tga = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  put_le16(tga, 3), put_le16(tga, 2);
  tga.insert(tga.end(), {24, 0});
  EXPECT_EQ(sniff_format(ByteView(tga)), ImageFormat::kTga);
  tga[1] = 2;  // color map type 2: not a TGA
  EXPECT_EQ(sniff_format(ByteView(tga)), ImageFormat::kUnknown);
}

TEST(ImageFormats, PpmScalesAsPillow) {
  // Binary at maxval 100: round(v / 100 * 255), half to even; above maxval clips.
  const RgbImage p5 = decode(bytes("P5\n4 1\n100\n") + Bytes{0, 50, 100, 200});
  EXPECT_EQ(pixels(p5),
            (std::vector<std::vector<int>>{{0, 0, 0}, {128, 128, 128}, {255, 255, 255}, {255, 255, 255}}));
  // 16-bit grey stays Pillow's "I": clipped, not scaled.
  const RgbImage wide = decode(bytes("P5 2 1 65535 ") + Bytes{0, 100, 3, 232});
  EXPECT_EQ(pixels(wide), (std::vector<std::vector<int>>{{100, 100, 100}, {255, 255, 255}}));
  // Plain bilevel: 1 is black. A comment inside a token joins its halves.
  const RgbImage pbm = decode(bytes("P1\n# a comment\n3 1#c\n\n1 0 1\n"));
  EXPECT_EQ(pbm.width, 3u);
  EXPECT_EQ(decode(bytes("P5\n1#c\n2 1\n255\n") + Bytes(12, 0)).width, 12u);
  EXPECT_EQ(pixels(pbm), (std::vector<std::vector<int>>{{0, 0, 0}, {255, 255, 255}, {0, 0, 0}}));
  // A cut raw file keeps its whole rows; a cut scaled or plain one fails.
  const RgbImage cut = decode(bytes("P5\n2 2\n255\n") + Bytes{9, 9, 9});
  EXPECT_EQ(pixels(cut), (std::vector<std::vector<int>>{{9, 9, 9}, {9, 9, 9}, {0, 0, 0}, {0, 0, 0}}));
  EXPECT_EQ(error_of(bytes("P5\n2 2\n100\n") + Bytes{9, 9, 9}), ErrorCode::kCorrupt);
  EXPECT_EQ(error_of(bytes("P2\n2 1\n255\n7")), ErrorCode::kCorrupt);
  EXPECT_EQ(error_of(bytes("P2\n1 1\n9\n10")), ErrorCode::kCorrupt);  // above maxval
  EXPECT_EQ(error_of(bytes("P5\n1 1\n0\n")), ErrorCode::kCorrupt);
  EXPECT_EQ(error_of(bytes("Pf\n1 1\n-1\n")), ErrorCode::kUnsupported);
}

Bytes tga_header(uint8_t type, uint8_t depth, uint16_t width, uint16_t height, uint8_t flags,
                 uint16_t map_first = 0, uint16_t map_length = 0, uint8_t map_depth = 0) {
  Bytes h = {0, uint8_t(map_length ? 1 : 0), type};
  put_le16(h, map_first), put_le16(h, map_length);
  h.push_back(map_depth);
  put_le32(h, 0);
  put_le16(h, width), put_le16(h, height);
  h.insert(h.end(), {depth, flags});
  return h;
}

TEST(ImageFormats, TgaOriginsColorMapsAndRle) {
  // 2x2 BGR, bottom-up (flags 0): the first row in the file is the bottom.
  Bytes bgr = tga_header(2, 24, 2, 2, 0);
  bgr.insert(bgr.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  EXPECT_EQ(pixels(decode(bgr)),
            (std::vector<std::vector<int>>{{9, 8, 7}, {12, 11, 10}, {3, 2, 1}, {6, 5, 4}}));
  bgr[17] = 0x30;  // top-down and mirrored
  EXPECT_EQ(pixels(decode(bgr)),
            (std::vector<std::vector<int>>{{6, 5, 4}, {3, 2, 1}, {12, 11, 10}, {9, 8, 7}}));
  // A 24-bit map starting at index 2: indices 0 and 1 are black, and so is 9.
  Bytes mapped = tga_header(1, 8, 3, 1, 0x20, 2, 1, 24);
  mapped.insert(mapped.end(), {30, 20, 10, 0, 2, 9});
  EXPECT_EQ(pixels(decode(mapped)), (std::vector<std::vector<int>>{{0, 0, 0}, {10, 20, 30}, {0, 0, 0}}));
  // RLE grey: a raw packet may cross rows, a run may not (decoding stops).
  Bytes rle = tga_header(11, 8, 2, 2, 0x20);
  rle.insert(rle.end(), {0x02, 5, 6, 7, 0x80, 8});
  EXPECT_EQ(pixels(decode(rle)), (std::vector<std::vector<int>>{{5, 5, 5}, {6, 6, 6}, {7, 7, 7}, {8, 8, 8}}));
  Bytes crossing = tga_header(11, 8, 2, 2, 0x20);
  crossing.insert(crossing.end(), {0x80, 5, 0x81, 6});
  EXPECT_EQ(pixels(decode(crossing)),
            (std::vector<std::vector<int>>{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}));
  EXPECT_EQ(error_of(tga_header(2, 8, 2, 2, 0)), ErrorCode::kUnsupported);  // 8-bit truecolor: no decoder
}

TEST(ImageFormats, PcxPlanesAndPalettes) {
  // 1 bit x 4 planes, 8 pixels: plane p holds bit p of each index.
  Bytes pcx = {10, 5, 1, 1};
  for (uint16_t v : {0, 0, 7, 0}) put_le16(pcx, v);  // bounding box 0..7 x 0..0
  put_le16(pcx, 72), put_le16(pcx, 72);
  for (int i = 0; i < 16; ++i) pcx.insert(pcx.end(), {uint8_t(i * 16), uint8_t(i), uint8_t(255 - i)});
  pcx.insert(pcx.end(), {0, 4});
  put_le16(pcx, 1), put_le16(pcx, 1);
  pcx.resize(128, 0);
  pcx.insert(pcx.end(), {0b10000000, 0b01000000, 0b00100000, 0xC1, 0b00010000});  // the last byte as a run
  const RgbImage image = decode(pcx);
  ASSERT_EQ(image.width, 8u);
  const auto got = pixels(image);
  EXPECT_EQ(got[0], (std::vector<int>{16, 1, 254}));   // index 1
  EXPECT_EQ(got[1], (std::vector<int>{32, 2, 253}));   // index 2
  EXPECT_EQ(got[2], (std::vector<int>{64, 4, 251}));   // index 4
  EXPECT_EQ(got[3], (std::vector<int>{128, 8, 247}));  // index 8
  EXPECT_EQ(got[4], (std::vector<int>{0, 0, 255}));    // index 0
}

TEST(ImageFormats, IcoDecodesTheEntryPillowPicks) {
  // Two 1x1 DIB entries of the same size: the one of fewer bits per pixel
  // wins though it comes second.
  auto dib = [](uint16_t bits, const Bytes& pixel_row) {
    Bytes d;
    put_le32(d, 40), put_le32(d, 1), put_le32(d, 2);  // height doubled for the AND mask
    put_le16(d, 1), put_le16(d, bits);
    for (int i = 0; i < 6; ++i) put_le32(d, 0);
    if (bits == 8) {
      for (int i = 0; i < 256; ++i) d.insert(d.end(), {uint8_t(i), uint8_t(i / 2), uint8_t(255 - i), 0});
    }
    d.insert(d.end(), pixel_row.begin(), pixel_row.end());
    put_le32(d, 0);  // the AND mask row
    return d;
  };
  const Bytes first = dib(24, {10, 20, 30, 0}), second = dib(8, {7, 0, 0, 0});
  Bytes ico = {0, 0, 1, 0, 2, 0};
  uint32_t offset = 6 + 32;
  for (const auto& [bits, frame] : {std::pair<int, const Bytes*>{24, &first}, {8, &second}}) {
    ico.insert(ico.end(), {1, 1, 0, 0});
    put_le16(ico, 1), put_le16(ico, uint32_t(bits));
    put_le32(ico, uint32_t(frame->size())), put_le32(ico, offset);
    offset += uint32_t(frame->size());
  }
  ico.insert(ico.end(), first.begin(), first.end());
  ico.insert(ico.end(), second.begin(), second.end());
  const RgbImage image = decode(ico);
  ASSERT_EQ(image.width, 1u);
  ASSERT_EQ(image.height, 1u);
  EXPECT_EQ(pixels(image)[0], (std::vector<int>{248, 3, 7}));  // palette entry 7 (BGRX)
  const ImageInfo info = probe(ByteView(ico));
  EXPECT_EQ(info.format, ImageFormat::kIco);
  EXPECT_EQ(info.width, 1u);
  EXPECT_EQ(info.height, 1u);
}

TEST(ImageFormats, CutHeadersAreCorrupt) {
  const Bytes heads[] = {
      bytes(std::string("II*\0\x08\0\0\0", 8)),
      bytes("P6\n12"),
      tga_header(2, 24, 2, 2, 0x20),
      Bytes{0, 0, 1, 0, 1, 0, 1, 1},
      Bytes{10, 5, 1, 8, 0, 0},
      Bytes{0xff, 0x4f, 0xff, 0x51, 0, 41},
      bytes(std::string("\0\0\0\x0cjP  \r\n\x87\n\0\0\0\x14", 16)),
      bytes(std::string("\0\0\0\x1c"
                        "ftypavif",
                        12)),
  };
  for (const Bytes& head : heads) {
    SCOPED_TRACE(format_name(sniff_format(ByteView(head))));
    EXPECT_NE(sniff_format(ByteView(head)), ImageFormat::kUnknown);
    const ErrorCode code = error_of(head);
    if (sniff_format(ByteView(head)) == ImageFormat::kTga) {
      EXPECT_EQ(code, ErrorCode::kInternal);  // a header alone is a black image, as in Pillow
    } else {
      EXPECT_EQ(code, ErrorCode::kCorrupt);
    }
  }
}

}  // namespace
}  // namespace mimicit::image
