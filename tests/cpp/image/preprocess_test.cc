// Preprocessor (include/mimicit/preprocess.h) against the reference
// pipeline's own libraries, Pillow + numpy, run at test time: a Python
// script (kPillowScript, run with python3) writes Pillow's
// convert("RGB").resize((S, S), BICUBIC) bytes and numpy's float32
// (x / 255 - mean) / std for every image of $MIMICIT_TESTDATA/images and
// photos/ (plus a cut JPEG), for S in {224, 64, 336}; the test compares
// to_hwc / to_chw with them. The test skips when python3, Pillow or numpy is
// missing. (The Python binding is owned elsewhere; shelling out from the
// test is the least convoluted way to use Pillow as the oracle. The core
// never calls Python.)
//
// The rest needs no oracle: normalisation constants (torch's float32 values,
// computed once with torch 2.13 and written here), HWC/CHW agreement,
// base64 input, buffer reuse across sizes and after errors, limits, corrupt
// input, destination sizes, and fast mode's reach.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/preprocess.h"
#include "test_data.h"

namespace mimicit::image {
namespace {

namespace fs = std::filesystem;
using mimicit::testing::read_file_bytes;
using mimicit::testing::testdata_dir;

template <typename Fn>
std::optional<ErrorCode> error_code(Fn&& call, std::string* message = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return std::nullopt;
}

// A deterministic textured RGB image.
RgbImage pattern(uint32_t width, uint32_t height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      for (uint32_t c = 0; c < 3; ++c) {
        image.pixels.push_back(static_cast<uint8_t>((x * 5 + y * y * 3 + c * 70 + (x ^ y)) % 256));
      }
    }
  }
  return image;
}

std::vector<uint8_t> png_of(const RgbImage& image) {
  Buffer out;
  encode_png(image, out, 1);
  return {out.data(), out.data() + out.size()};
}

std::vector<uint8_t> jpeg_of(const RgbImage& image, int quality = 90) {
  Buffer out;
  encode_jpeg(image, out, quality);
  return {out.data(), out.data() + out.size()};
}

std::vector<uint8_t> hwc(Preprocessor& pre, ByteView file) {
  std::vector<uint8_t> out(pre.output_size());
  pre.to_hwc(file, out);
  return out;
}

std::vector<float> chw(Preprocessor& pre, ByteView file) {
  std::vector<float> out(pre.output_size());
  pre.to_chw(file, out);
  return out;
}

PreprocessOptions with_size(uint32_t size) {
  PreprocessOptions options;
  options.size = size;
  return options;
}

int max_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

// ---------------------------------------------------------------------------
// Options, constants, shapes

TEST(Preprocess, RejectsBadOptions) {
  auto make = [](PreprocessOptions o) { return error_code([&] { Preprocessor pre(o); }); };
  PreprocessOptions o;
  o.size = 0;
  EXPECT_EQ(make(o), ErrorCode::kInvalidArgument);
  o.size = kMaxPreprocessSize + 1;
  EXPECT_EQ(make(o), ErrorCode::kInvalidArgument);
  o = {};
  o.normalization.std[1] = 0.0f;
  EXPECT_EQ(make(o), ErrorCode::kInvalidArgument);
  o = {};
  o.normalization.mean[2] = NAN;
  EXPECT_EQ(make(o), ErrorCode::kInvalidArgument);
  o = {};
  o.normalization.std[0] = INFINITY;
  EXPECT_EQ(make(o), ErrorCode::kInvalidArgument);
  EXPECT_EQ(make(with_size(1)), std::nullopt);
  EXPECT_EQ(make(with_size(kMaxPreprocessSize)), std::nullopt);
}

TEST(Preprocess, OutputSizeAndDestinationChecks) {
  Preprocessor pre(with_size(32));
  EXPECT_EQ(pre.output_size(), 3u * 32 * 32);
  std::vector<uint8_t> file = png_of(pattern(40, 30));
  std::vector<float> floats(pre.output_size() + 1);
  std::vector<uint8_t> bytes(pre.output_size() - 1);
  std::string message;
  EXPECT_EQ(error_code([&] { pre.to_chw(file, floats); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("3x32x32"), std::string::npos) << message;
  EXPECT_EQ(error_code([&] { pre.to_chw(file, std::span<float>(floats).first(10)); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code([&] { pre.to_hwc(file, bytes); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code([&] { pre.to_hwc(file, {}); }), ErrorCode::kInvalidArgument);
}

// torch.tensor([v], dtype=uint8).float().div(255), then (x - mean) / std with
// float32 mean/std tensors, for v in {0, 1, 128, 254, 255}: torch 2.13's exact
// float32 results, as hex floats.
constexpr uint8_t kLevels[] = {0, 1, 128, 254, 255};
constexpr float kTorchOtter[3][5] = {
    {-0x1.c9c132p+0f, -0x1.c605cap+0f, 0x1.3f2a52p-4f, 0x1.ea2fa8p+0f, 0x1.edeb10p+0f},
    {-0x1.c139dep+0f, -0x1.bd612ep+0f, 0x1.58f2fep-3f, 0x1.07e29cp+1f, 0x1.09cef4p+1f},
    {-0x1.7a6f4ep+0f, -0x1.76cc22p+0f, 0x1.5c9bb8p-2f, 0x1.10bb66p+1f, 0x1.128cfcp+1f}};
constexpr float kTorchIdefics[3][5] = {
    {-0x1.cad1b8p+0f, -0x1.c714fep+0f, 0x1.38ac40p-4f, 0x1.ea6dcap+0f, 0x1.ee2a82p+0f},
    {-0x1.c08970p+0f, -0x1.bcb1e2p+0f, 0x1.59e6d6p-3f, 0x1.07aa04p+1f, 0x1.0995cap+1f},
    {-0x1.7aefb0p+0f, -0x1.774bc2p+0f, 0x1.5c1b88p-2f, 0x1.10daccp+1f, 0x1.12acc0p+1f}};

TEST(Preprocess, NormalisationIsTorchsFloat32Arithmetic) {
  for (bool idefics : {false, true}) {
    PreprocessOptions options = with_size(1);
    options.normalization = idefics ? kIdeficsNormalization : kOtterNormalization;
    const auto& expected = idefics ? kTorchIdefics : kTorchOtter;
    Preprocessor pre(options);
    for (int level = 0; level < 5; ++level) {
      // A 1x1 image resized to 1x1 is left alone: only the normalisation acts.
      RgbImage one{1, 1, {kLevels[level], kLevels[level], kLevels[level]}};
      std::vector<float> out = chw(pre, png_of(one));
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(out[c], expected[c][level])
            << "idefics " << idefics << " channel " << c << " level " << int{kLevels[level]};
      }
    }
  }
}

TEST(Preprocess, ConstantsAreTheModelsOnes) {
  EXPECT_EQ(kOtterNormalization.mean, (std::array<float, 3>{0.481f, 0.458f, 0.408f}));
  EXPECT_EQ(kOtterNormalization.std, (std::array<float, 3>{0.269f, 0.261f, 0.276f}));
  EXPECT_EQ(kIdeficsNormalization.mean, (std::array<float, 3>{0.48145466f, 0.4578275f, 0.40821073f}));
  EXPECT_EQ(kIdeficsNormalization.std, (std::array<float, 3>{0.26862954f, 0.26130258f, 0.27577711f}));
  EXPECT_EQ(PreprocessOptions{}.size, 224u);
  EXPECT_EQ(PreprocessOptions{}.max_pixels, kReferenceMaxPixels);
  EXPECT_EQ(DecodeOptions{}.max_pixels, kPillowMaxPixels);
  EXPECT_FALSE(PreprocessOptions{}.fast);
}

TEST(Preprocess, UserNormalisation) {
  PreprocessOptions options = with_size(16);
  options.normalization = {{0.5f, 0.25f, 0.0f}, {0.5f, 2.0f, -1.0f}};
  Preprocessor pre(options);
  std::vector<uint8_t> file = png_of(pattern(50, 20));
  std::vector<uint8_t> bytes = hwc(pre, file);
  std::vector<float> floats = chw(pre, file);
  for (size_t i = 0; i < 16 * 16; ++i) {
    for (int c = 0; c < 3; ++c) {
      float x = static_cast<float>(bytes[i * 3 + c]) / 255.0f;
      float expected = (x - options.normalization.mean[c]) / options.normalization.std[c];
      ASSERT_EQ(floats[c * 256 + i], expected) << i << " " << c;
    }
  }
}

// ---------------------------------------------------------------------------
// The pipeline composed of image.h's pieces, in both layouts

TEST(Preprocess, EqualsDecodeThenResizeInBothLayouts) {
  struct Source {
    RgbImage image;
    bool jpeg;
  };
  std::vector<Source> sources = {{pattern(640, 480), true},  {pattern(640, 480), false},
                                 {pattern(100, 700), false}, {pattern(224, 224), false},
                                 {pattern(7, 5), false},     {pattern(300, 224), true}};
  for (uint32_t size : {224u, 64u, 336u}) {
    Preprocessor pre(with_size(size));
    for (const Source& s : sources) {
      SCOPED_TRACE(::testing::Message()
                   << s.image.width << "x" << s.image.height << " jpeg " << s.jpeg << " -> " << size);
      std::vector<uint8_t> file = s.jpeg ? jpeg_of(s.image) : png_of(s.image);
      RgbImage expected = resize_bicubic(decode_rgb(file), size, size);
      EXPECT_EQ(hwc(pre, file), expected.pixels);
      std::vector<float> floats = chw(pre, file);
      ASSERT_EQ(floats.size(), expected.pixels.size());
      size_t plane = size_t{size} * size;
      for (size_t i = 0; i < plane; ++i) {
        for (int c = 0; c < 3; ++c) {
          float x = static_cast<float>(expected.pixels[i * 3 + c]) / 255.0f;
          float want = (x - kOtterNormalization.mean[c]) / kOtterNormalization.std[c];
          ASSERT_EQ(floats[c * plane + i], want) << "pixel " << i << " channel " << c;
        }
      }
    }
  }
}

TEST(Preprocess, Base64InputEqualsBytes) {
  Preprocessor pre(with_size(48));
  std::vector<uint8_t> file = jpeg_of(pattern(120, 90));
  std::string text = base64_encode(file);
  // The reference decodes with urlsafe_b64decode; stores also hold the
  // URL-safe alphabet without padding.
  std::string urlsafe = text;
  for (char& ch : urlsafe) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
  while (!urlsafe.empty() && urlsafe.back() == '=') urlsafe.pop_back();
  std::vector<float> expected = chw(pre, file);
  EXPECT_EQ(chw(pre, pre.decode_base64(text)), expected);
  EXPECT_EQ(chw(pre, pre.decode_base64(urlsafe)), expected);
  std::string message;
  // '$' is skipped as urlsafe_b64decode skips it: 5 characters remain, one
  // too many for a whole number of bytes.
  EXPECT_EQ(error_code([&] { pre.decode_base64("abc$de"); }, &message), ErrorCode::kCorrupt);
  EXPECT_NE(message.find("dangling"), std::string::npos) << message;
}

TEST(Preprocess, ReusedScratchGivesTheSameResults) {
  // Different sizes and formats through one Preprocessor, in an order that
  // shrinks and grows every buffer, against a fresh Preprocessor each time.
  std::vector<std::vector<uint8_t>> files = {jpeg_of(pattern(640, 480)), png_of(pattern(33, 17)),
                                             jpeg_of(pattern(64, 400)),  jpeg_of(pattern(640, 480)),
                                             png_of(pattern(900, 50)),   jpeg_of(pattern(20, 20))};
  for (bool fast : {false, true}) {
    PreprocessOptions options = with_size(96);
    options.fast = fast;
    Preprocessor reused(options);
    for (int round = 0; round < 2; ++round) {
      for (const auto& file : files) {
        Preprocessor fresh(options);
        ASSERT_EQ(chw(reused, file), chw(fresh, file));
        ASSERT_EQ(hwc(reused, file), hwc(fresh, file));
      }
    }
  }
}

TEST(Preprocess, CutJpegInAReusedBufferEqualsAFreshDecode) {
  // libjpeg writes every row of a cut file (the missing part is what an
  // early EOI gives), so the reused pixel buffer needs no clearing: check
  // that nothing of the previous image shows through.
  RgbImage big = pattern(640, 480);
  std::vector<uint8_t> whole = jpeg_of(big);
  std::vector<uint8_t> cut(whole.begin(), whole.begin() + whole.size() * 2 / 5);
  for (bool fast : {false, true}) {
    PreprocessOptions options = with_size(224);
    options.fast = fast;
    Preprocessor reused(options);
    hwc(reused, whole);
    Preprocessor fresh(options);
    EXPECT_EQ(hwc(reused, cut), hwc(fresh, cut));
  }
}

// ---------------------------------------------------------------------------
// Errors and limits

TEST(Preprocess, CorruptInputIsCorrupt) {
  Preprocessor pre(with_size(32));
  std::vector<uint8_t> jpeg = jpeg_of(pattern(64, 64));
  std::vector<std::vector<uint8_t>> bad = {
      {},
      {'<', 'h', 't', 'm', 'l', '>'},
      std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 20),  // cut inside the headers
      {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0},
  };
  for (const auto& file : bad) {
    std::string message;
    EXPECT_EQ(error_code([&] { hwc(pre, file); }, &message), ErrorCode::kCorrupt) << message;
    EXPECT_FALSE(message.empty());
  }
  // Still usable afterwards.
  Preprocessor fresh(with_size(32));
  EXPECT_EQ(chw(pre, jpeg), chw(fresh, jpeg));
}

TEST(Preprocess, PixelLimitIsALimitError) {
  std::vector<uint8_t> jpeg = jpeg_of(pattern(640, 480));
  std::vector<uint8_t> png = png_of(pattern(640, 480));
  for (bool fast : {false, true}) {
    PreprocessOptions options = with_size(64);
    options.fast = fast;
    options.max_pixels = 640 * 480 - 1;  // the full size counts, also when decoding at 1/8
    Preprocessor pre(options);
    for (const auto* file : {&jpeg, &png}) {
      std::string message;
      EXPECT_EQ(error_code([&] { chw(pre, *file); }, &message), ErrorCode::kLimit);
      EXPECT_NE(message.find("307200 pixels"), std::string::npos) << message;
    }
    options.max_pixels = 640 * 480;
    Preprocessor enough(options);
    EXPECT_EQ(error_code([&] { chw(enough, jpeg); }), std::nullopt);
  }
}

TEST(Preprocess, DefaultLimitRefusesABombFromItsHeader) {
  // A JPEG whose frame header claims 40000 x 40000 (> the reference's
  // 1e9 pixels): refused from the header, before any allocation.
  std::vector<uint8_t> jpeg = jpeg_of(pattern(16, 16));
  size_t sof = 2;
  while (sof + 9 < jpeg.size() && !(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) ++sof;
  ASSERT_LT(sof + 9, jpeg.size());
  for (size_t at : {sof + 5, sof + 7}) {  // height, width (big-endian)
    jpeg[at] = 40000 >> 8;
    jpeg[at + 1] = 40000 & 0xFF;
  }
  EXPECT_EQ(probe(jpeg).width, 40000u);
  for (bool fast : {false, true}) {
    PreprocessOptions options;
    options.fast = fast;
    Preprocessor pre(options);
    std::string message;
    EXPECT_EQ(error_code([&] { chw(pre, jpeg); }, &message), ErrorCode::kLimit) << message;
    EXPECT_NE(message.find("decompression bomb"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------
// Fast mode

TEST(Preprocess, FastModeOnlyScalesLargeJpegs) {
  PreprocessOptions exact = with_size(224), fast = with_size(224);
  fast.fast = true;
  Preprocessor a(exact), b(fast);
  // Half of it would be smaller than the target (445 / 2 < 224): decoded
  // exactly as usual.
  std::vector<uint8_t> small = jpeg_of(pattern(445, 600));
  EXPECT_EQ(hwc(a, small), hwc(b, small));
  // Other formats: never scaled.
  std::vector<uint8_t> png = png_of(pattern(1000, 1000));
  EXPECT_EQ(hwc(a, png), hwc(b, png));
  // Twice the target: decoded at 1/2 (not exact, but close on smooth content).
  RgbImage smooth;
  smooth.width = 900;
  smooth.height = 500;
  for (uint32_t y = 0; y < smooth.height; ++y) {
    for (uint32_t x = 0; x < smooth.width; ++x) {
      smooth.pixels.insert(smooth.pixels.end(),
                           {static_cast<uint8_t>(x * 255 / 900), static_cast<uint8_t>(y * 255 / 500), 128});
    }
  }
  std::vector<uint8_t> large = jpeg_of(smooth);
  std::vector<uint8_t> x = hwc(a, large), y = hwc(b, large);
  EXPECT_NE(x, y);
  EXPECT_LE(max_abs_diff(x, y), 4);
}

// ---------------------------------------------------------------------------
// Pillow + numpy as the oracle

constexpr const char* kPillowScript = R"PY(
import pathlib, sys
try:
    import numpy as np
    from PIL import Image, ImageFile
except ImportError:
    sys.exit(77)
ImageFile.LOAD_TRUNCATED_IMAGES = True  # the reference accepts cut files
out = pathlib.Path(sys.argv[1])
sizes = [int(s) for s in sys.argv[2].split(",")]
# Normalisation written for: (name, size, mean, std).
NORMS = [("otter", 224, (0.481, 0.458, 0.408), (0.269, 0.261, 0.276)),
         ("idefics", 64, (0.48145466, 0.4578275, 0.40821073),
          (0.26862954, 0.26130258, 0.27577711))]
for i, path in enumerate(pathlib.Path(sys.argv[3]).read_text().splitlines()):
    try:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
    except Exception as e:
        (out / f"{i}.err").write_text(type(e).__name__)
        continue
    for s in sizes:
        a = np.asarray(rgb.resize((s, s), Image.BICUBIC))
        (out / f"{i}_{s}.u8").write_bytes(a.tobytes())
        for name, size, mean, std in NORMS:
            if size == s:
                x = a.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
                m = np.array(mean, np.float32)[:, None, None]
                d = np.array(std, np.float32)[:, None, None]
                y = ((x - m) / d).astype(np.float32)
                (out / f"{i}_{s}_{name}.f32").write_bytes(y.tobytes())
)PY";

std::vector<fs::path> oracle_inputs(const fs::path& scratch) {
  std::vector<fs::path> files;
  fs::path root = testdata_dir();
  for (const char* sub : {"images", "photos"}) {
    if (root.empty() || !fs::is_directory(root / sub)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / sub)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && ext != ".txt" && ext != ".md") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  // A photo as a training JPEG, and the same file cut short.
  std::vector<uint8_t> jpeg = jpeg_of(pattern(640, 480), 90);
  for (auto [name, size] : {std::pair{"whole.jpg", jpeg.size()}, {"cut.jpg", jpeg.size() / 2}}) {
    std::ofstream(scratch / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(size));
    files.push_back(scratch / name);
  }
  return files;
}

std::vector<uint8_t> read_or_empty(const fs::path& path) {
  return fs::exists(path) ? read_file_bytes(path) : std::vector<uint8_t>{};
}

TEST(PreprocessPillow, EqualsPillowAndNumpy) {
  if (testdata_dir().empty() || !fs::is_directory(testdata_dir() / "photos")) {
    GTEST_SKIP() << "no $MIMICIT_TESTDATA/photos";
  }
  fs::path dir = mimicit::testing::temp_dir("preprocess_pillow");
  std::vector<fs::path> inputs = oracle_inputs(dir);
  {
    std::ofstream list(dir / "inputs.txt");
    for (const auto& path : inputs) list << path.string() << "\n";
    std::ofstream(dir / "oracle.py") << kPillowScript;
  }
  const std::vector<uint32_t> sizes = {224, 64, 336};
  std::string command = "python3 '" + (dir / "oracle.py").string() + "' '" + dir.string() + "' 224,64,336 '" +
                        (dir / "inputs.txt").string() + "'";
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 127) {
    fs::remove_all(dir);
    GTEST_SKIP() << "python3 with Pillow and numpy is not available";
  }
  ASSERT_EQ(WEXITSTATUS(status), 0) << command;

  int compared = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE(inputs[i].string());
    std::vector<uint8_t> file = read_file_bytes(inputs[i]);
    fs::path err = dir / (std::to_string(i) + ".err");
    if (fs::exists(err)) {
      // Pillow cannot open it: neither can we (a bomb is a limit error).
      std::vector<uint8_t> name = read_file_bytes(err);
      bool bomb = std::string(name.begin(), name.end()) == "DecompressionBombError";
      Preprocessor pre(with_size(64));
      std::optional<ErrorCode> code = error_code([&] { hwc(pre, file); });
      ASSERT_TRUE(code.has_value());
      if (bomb) {
        EXPECT_EQ(code, ErrorCode::kLimit);
      }
      continue;
    }
    for (uint32_t size : sizes) {
      std::string stem = std::to_string(i) + "_" + std::to_string(size);
      Preprocessor pre(with_size(size));
      std::vector<uint8_t> expected = read_file_bytes(dir / (stem + ".u8"));
      std::vector<uint8_t> ours = hwc(pre, file);
      ASSERT_EQ(ours.size(), expected.size()) << size;
      // Pixel-exact in the default mode (the issue allows 1 level).
      EXPECT_EQ(max_abs_diff(ours, expected), 0) << "S = " << size;
      ++compared;
      for (const auto& [name, norm] :
           {std::pair{"otter", kOtterNormalization}, {"idefics", kIdeficsNormalization}}) {
        std::vector<uint8_t> raw = read_or_empty(dir / (stem + "_" + name + ".f32"));
        if (raw.empty()) continue;
        PreprocessOptions options = with_size(size);
        options.normalization = norm;
        Preprocessor normalising(options);
        std::vector<float> floats = chw(normalising, file);
        ASSERT_EQ(raw.size(), floats.size() * sizeof(float));
        std::vector<float> want(floats.size());
        std::memcpy(want.data(), raw.data(), raw.size());
        float worst = 0;
        for (size_t k = 0; k < floats.size(); ++k) {
          worst = std::max(worst, std::abs(floats[k] - want[k]));
        }
        EXPECT_LE(worst, 1e-6f) << name << " S = " << size;
      }
    }
  }
  EXPECT_GE(compared, 3 * 40);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mimicit::image
