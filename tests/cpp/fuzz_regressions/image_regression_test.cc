// Inputs the image fuzz target (fuzz/image_fuzz.cc) found crashing, fed to
// the entry point they crashed; each must now fail with a mimicit::Error.
#include <gtest/gtest.h>

#include <cstdint>

#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace {

// A GIF whose image descriptor is cut short: giflib fails with an error code
// it has no message for, and GifErrorString() returned null into fmt, which
// threw fmt::format_error instead of Error (src/image/gif.cc).
TEST(ImageFuzzRegression, TruncatedGifDescriptorIsCorrupt) {
  const uint8_t gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x04, 0x28, 0x20, 0x00,
                         0x00, 0x2c, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  try {
    decode_rgb(ByteView(gif, sizeof gif));
    FAIL() << "decoded a GIF without image data";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_STREQ(e.what(), "gif: image descriptor: unknown error");
  }
}

}  // namespace
}  // namespace mimicit::image
