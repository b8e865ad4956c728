#include "mimicit/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mimicit/error.h"

namespace mimicit {
namespace {

// Decodes through the Buffer overload and returns the bytes as a string.
std::string decode(std::string_view text) {
  Buffer out;
  base64_decode(text, out);
  return std::string(as_string_view(out));
}

// Decodes into a buffer of exactly the advertised upper bound (heap, so ASan
// catches any write past it) through the pointer overload.
std::string decode_exact(std::string_view text) {
  std::vector<uint8_t> out(base64_decoded_size_upper_bound(text.size()));
  size_t n = base64_decode(text, out.data());
  EXPECT_LE(n, out.size());
  return std::string(reinterpret_cast<const char*>(out.data()), n);
}

std::string error_of(std::string_view text) {
  try {
    decode_exact(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    return e.what();
  }
  return "no error";
}

bool fails(std::string_view text) { return error_of(text) != "no error"; }

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
    EXPECT_EQ(decode(encoded), plain);
    EXPECT_EQ(decode_exact(encoded), plain);
  }
}

TEST(Base64, EncodeAppends) {
  std::string out = "x:";
  base64_encode(as_bytes("foobar"), out);
  EXPECT_EQ(out, "x:Zm9vYmFy");
}

TEST(Base64, DecodeReplacesBufferContents) {
  Buffer out;
  out.append(as_bytes("old contents"));
  base64_decode("Zm9v", out);
  EXPECT_EQ(as_string_view(out), "foo");
}

TEST(Base64, RoundTripsRandomLengths) {
  std::mt19937 rng(42);
  for (size_t n = 0; n <= 1000; ++n) {
    std::string data(n, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::string text = base64_encode(as_bytes(data));
    ASSERT_EQ(text.size(), (n + 2) / 3 * 4);
    ASSERT_EQ(decode_exact(text), data) << n;
    ASSERT_EQ(decode(text), data) << n;
  }
}

TEST(Base64, AllByteValues) {
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  std::string text = base64_encode(as_bytes(data));
  EXPECT_EQ(decode_exact(text), data);
}

TEST(Base64, UrlSafeAndMixedAlphabets) {
  // 0xfb 0xff 0xbf encodes to "+/+/" (standard) or "-_-_" (URL-safe).
  const std::string bytes = "\xfb\xff\xbf\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(as_bytes(bytes)), "+/+/+/+/");
  EXPECT_EQ(decode("+/+/+/+/"), bytes);
  EXPECT_EQ(decode("-_-_-_-_"), bytes);
  EXPECT_EQ(decode("-/+_-_+/"), bytes);
  std::string long_url(4000, '-');
  EXPECT_EQ(decode_exact(long_url), decode_exact(std::string(4000, '+')));
}

TEST(Base64, MissingPadding) {
  EXPECT_EQ(decode("Zg"), "f");
  EXPECT_EQ(decode("Zm8"), "fo");
  EXPECT_EQ(decode("Zm9vYg"), "foob");
  EXPECT_EQ(decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(decode("Zg="), "f");  // partial padding
  std::mt19937 rng(3);
  for (size_t n = 0; n < 200; ++n) {
    std::string data(n, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::string text = base64_encode(as_bytes(data));
    while (!text.empty() && text.back() == '=') text.pop_back();
    ASSERT_EQ(decode_exact(text), data) << n;
  }
}

TEST(Base64, Whitespace) {
  EXPECT_EQ(decode(" Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_EQ(decode("Z m 9 v\tY m F y"), "foobar");
  EXPECT_EQ(decode("Zm9vYg==\n"), "foob");
  EXPECT_EQ(decode("Zm9vYg= =\r\n \t"), "foob");
  EXPECT_EQ(decode("\n\n\n"), "");
  // MIME-style wrapping at 76 characters over a long text.
  std::mt19937 rng(4);
  std::string data(100000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::string text = base64_encode(as_bytes(data));
  std::string wrapped;
  for (size_t i = 0; i < text.size(); i += 76) wrapped += text.substr(i, 76) + "\r\n";
  EXPECT_EQ(decode_exact(wrapped), data);
  // Whitespace at every position modulo 8 (the fast path's stride).
  for (size_t at = 0; at <= 40; ++at) {
    std::string spaced = text.substr(0, 40);
    spaced.insert(at, " ");
    ASSERT_EQ(decode_exact(spaced), data.substr(0, 30)) << at;
  }
}

// The leniency a text needed (decoding it must succeed).
Base64Leniency leniency_of(std::string_view text) {
  Buffer out;
  Base64Leniency leniency = Base64Leniency::kDataUriPrefix | Base64Leniency::kMissingPadding;
  base64_decode(text, out, &leniency);
  return leniency;
}

TEST(Base64, DataUriPrefix) {
  EXPECT_EQ(decode("data:image/png;base64,Zm9vYmFy"), "foobar");
  EXPECT_EQ(decode("data:;base64,Zm9v"), "foo");
  EXPECT_EQ(decode("DATA:image/jpeg;BASE64,Zm9v"), "foo");
  EXPECT_EQ(decode("  data:image/png;base64,\nZm9v"), "foo");
  EXPECT_EQ(decode("data:image/png;base64,"), "");
  EXPECT_EQ(decode("data:image/png;charset=x;base64,Zm9v"), "foo");
  EXPECT_EQ(leniency_of("data:image/png;base64,Zm9v"), Base64Leniency::kDataUriPrefix);
  // Not a base64 data URI: decoded as CPython decodes it, letters (and
  // '/') and all.
  EXPECT_EQ(decode("data:image/jpeg,Zm9v"), decode("dataimage/jpegZm9v"));
  EXPECT_EQ(leniency_of("data:image/jpeg,Zm9v"),
            Base64Leniency::kSkippedCharacters | Base64Leniency::kMissingPadding);  // 18 characters
  EXPECT_EQ(decode("data:image/png;base64Zm9v"), decode("dataimage/pngbase64Zm9v"));
  EXPECT_EQ(decode("xdata:image/png;base64,Zm9v"), decode("xdataimage/pngbase64Zm9v"));
  EXPECT_TRUE(fails("data:image/png,Zm9v"));  // 17 characters, as CPython counts them
}

TEST(Base64, CanonicalTextNeedsNoLeniency) {
  EXPECT_EQ(leniency_of(""), Base64Leniency::kNone);
  EXPECT_EQ(leniency_of("Zm9vYg=="), Base64Leniency::kNone);
  EXPECT_EQ(leniency_of("Zm9vYmE="), Base64Leniency::kNone);
  EXPECT_EQ(leniency_of("-_-_"), Base64Leniency::kNone);
  EXPECT_EQ(leniency_of(" Zm9v\nYg= =\r\n"), Base64Leniency::kNone);  // whitespace is not leniency
  EXPECT_EQ(leniency_of(std::string(4000, 'A')), Base64Leniency::kNone);
}

// Characters outside the alphabet are skipped wherever they are, as CPython
// skips them (the fast path hands such a group to the slow path).
TEST(Base64, EveryCharacterOutsideTheAlphabetIsSkipped) {
  for (int c = 0; c < 256; ++c) {
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                    c == '/' || c == '-' || c == '_';
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (alphabet || space || c == '=') continue;
    std::string short_text = "Zm9v";
    short_text.insert(2, 1, static_cast<char>(c));
    EXPECT_EQ(decode_exact(short_text), "foo") << c;
    EXPECT_EQ(leniency_of(short_text), Base64Leniency::kSkippedCharacters) << c;
    std::string long_text(64, 'A');
    long_text.insert(37, 1, static_cast<char>(c));
    EXPECT_EQ(decode_exact(long_text), std::string(48, '\0')) << c;
  }
  EXPECT_EQ(decode(std::string_view("\"Zm9v\"\0\0", 8)), "foo");
}

// binascii.a2b_base64's padding rules (non-strict), each checked against
// CPython 3.11 by hand; tests/python/test_base64_reference.py checks random
// texts against CPython itself.
TEST(Base64, PaddingAsCPythonReadsIt) {
  EXPECT_EQ(decode("Zg==Zg=="), "f");  // the padding ends the data
  EXPECT_EQ(leniency_of("Zg==Zg=="), Base64Leniency::kTextAfterPadding);
  EXPECT_EQ(decode("Zm8=Zm9v"), "fo");
  EXPECT_EQ(decode("Zm9=v"), "fo");  // one '=' completes a group of 3
  EXPECT_EQ(decode("Zg===="), "f");
  EXPECT_EQ(decode("Zm9v=Zm9v"), "foofoo");  // '=' after a whole group: skipped
  EXPECT_EQ(leniency_of("Zm9v=Zm9v"), Base64Leniency::kSkippedCharacters);
  EXPECT_EQ(decode("=Zm9v"), "foo");
  EXPECT_EQ(decode("Z=m9v"), "foo");    // '=' after 1 character: skipped
  EXPECT_EQ(decode("Zg=x="), "f\x0c");  // a single '=' then data: skipped
  EXPECT_EQ(leniency_of("Zg=x="), Base64Leniency::kSkippedCharacters);
  EXPECT_EQ(decode("Zg=\"="), "f");  // garbage between the two '='
  EXPECT_EQ(decode("===="), "");
  EXPECT_EQ(decode("Zg== x"), "f");
  EXPECT_EQ(leniency_of("Zg==\n\n"), Base64Leniency::kNone);
  std::string long_text = std::string(40, 'A') + "==" + std::string(40, 'A');
  EXPECT_EQ(decode_exact(long_text), std::string(60, '\0'));
  EXPECT_EQ(leniency_of("Zg="), Base64Leniency::kMissingPadding);
  EXPECT_EQ(leniency_of("Zg=*"), Base64Leniency::kMissingPadding | Base64Leniency::kSkippedCharacters);
}

TEST(Base64, DescribeNamesEachBit) {
  EXPECT_EQ(describe(Base64Leniency::kNone), "");
  std::string text = describe(Base64Leniency::kMissingPadding | Base64Leniency::kDataUriPrefix);
  EXPECT_NE(text.find("Incorrect padding"), std::string::npos) << text;
  EXPECT_NE(text.find("data: URI"), std::string::npos) << text;
}

TEST(Base64, TruncatedInputs) {
  std::string text = base64_encode(as_bytes("The quick brown fox jumps over the lazy dog"));
  for (size_t n = 0; n <= text.size(); ++n) {
    std::string prefix = text.substr(0, n);
    // Cutting leaves a single dangling character exactly when n % 4 == 1.
    size_t significant = prefix.find('=') == std::string::npos ? n : prefix.find('=');
    if (significant % 4 == 1) {
      EXPECT_TRUE(fails(prefix)) << n;
    } else {
      EXPECT_FALSE(fails(prefix)) << n << ": " << error_of(prefix);
    }
  }
  EXPECT_TRUE(fails("Z"));
  EXPECT_TRUE(fails("Zm9vY"));
  EXPECT_TRUE(fails("Zm9vY\n"));
  EXPECT_TRUE(fails("Zm9vY="));
}

// Random whitespace sprinkled into long texts moves the fast path's 8-byte
// windows around every possible alignment.
TEST(Base64, RandomWhitespaceInLongTexts) {
  std::mt19937 rng(5);
  const char spaces[] = {' ', '\n', '\r', '\t'};
  for (int trial = 0; trial < 200; ++trial) {
    std::string data(rng() % 3000, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::string text = base64_encode(as_bytes(data));
    std::string noisy;
    for (char c : text) {
      while (rng() % 16 == 0) noisy.push_back(spaces[rng() % 4]);
      noisy.push_back(c);
    }
    ASSERT_EQ(decode_exact(noisy), data) << trial;
  }
}

// Random garbage: a result within bounds or Error(kCorrupt), never a crash
// (this test is meant for the sanitizer build).
TEST(Base64, RandomGarbageNeverCrashes) {
  std::mt19937 rng(6);
  const std::string pool = "AZaz09+/-_= \n\r\t*\x80\xff";
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text(rng() % 100, ' ');
    for (auto& c : text) c = rng() % 4 ? "QUJD"[rng() % 4] : pool[rng() % pool.size()];
    try {
      decode_exact(text);
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kCorrupt);
    }
  }
}

TEST(Base64, UpperBoundCoversAllValidTexts) {
  for (size_t n = 0; n < 64; ++n) {
    size_t max_decoded = n / 4 * 3 + (n % 4 >= 2 ? n % 4 - 1 : 0);
    EXPECT_GE(base64_decoded_size_upper_bound(n), max_decoded) << n;
  }
  EXPECT_GE(base64_decoded_size_upper_bound(SIZE_MAX), SIZE_MAX / 4 * 3);  // no overflow
}

}  // namespace
}  // namespace mimicit
