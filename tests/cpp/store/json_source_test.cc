// The legacy images.json source: the scan over util's walker (ids,
// offsets, every malformation as an Error), fetch (lists, escaped values, base64
// errors naming the id), a generated 10k-entry file checked against the map
// it was generated from, concurrent fetches, and (MIMICIT_LARGE_TESTS=1) a
// file over 4 GiB.
#include "store/json_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "store/json_scanner.h"
#include "test_data.h"
#include "util/json_walker.h"

namespace mimicit::store {
namespace {

using namespace std::literals;

using Members = std::vector<std::pair<std::string, uint64_t>>;

// Scans `text` from an exactly-sized heap copy, so ASan catches any read
// past the end.
Members scan_text(std::string_view text) {
  std::vector<uint8_t> doc(text.begin(), text.end());
  Members members;
  scan_json_ids(ByteView(doc.data(), doc.size()),
                [&](std::string_view id, uint64_t offset) { members.emplace_back(std::string(id), offset); });
  return members;
}

// "no error", or the message of the Error the scan threw (checking its code).
std::string scan_error(std::string_view text, ErrorCode code = ErrorCode::kCorrupt) {
  try {
    scan_text(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << text;
    return e.what();
  }
  return "no error";
}

// The value at `offset` unescaped, as fetch sees it before base64 decoding.
std::string value_text(std::string_view text, uint64_t offset) {
  RawJsonString raw = locate_value_string(as_bytes(text), offset);
  std::string out;
  size_t pos = 0;
  const char* error = unescape_json_string(raw.text, out, &pos);
  if (error != nullptr) fail_corrupt("{} at {}", error, pos);
  return out;
}

class JsonFiles : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("json_source"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view contents) {
    std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    return path;
  }

  static Members scan(const Source& source) {
    Members members;
    source.scan_ids(
        [&](std::string_view id, uint64_t locator) { members.emplace_back(std::string(id), locator); });
    return members;
  }

  static std::string fetch(const Source& source, uint64_t locator, std::string_view id) {
    Buffer out;
    source.fetch(locator, id, out, nullptr);
    return std::string(as_string_view(out));
  }

  std::filesystem::path dir_;
};

TEST(JsonScanner, IdsAndValueOffsets) {
  std::string text = R"({"a": "aGVsbG8=", "b":"d29ybGQ="})";
  Members m = scan_text(text);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (std::pair<std::string, uint64_t>{"a", text.find("\"aGVs")}));
  EXPECT_EQ(m[1], (std::pair<std::string, uint64_t>{"b", text.find("\"d29y")}));
  EXPECT_EQ(value_text(text, m[0].second), "aGVsbG8=");
}

// pandas' "columns" layout, as DataFrame.to_json() writes it ('/' escaped).
TEST(JsonScanner, PandasColumnsLayout) {
  std::string text =
      R"({"width": {"a": 3, "b": [1, {"x": null}]}, "base64": {"a": "aGVsbG8=", "b": "d29y\/A=="}})";
  Members m = scan_text(text);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (std::pair<std::string, uint64_t>{"a", text.find("\"aGVs")}));
  EXPECT_EQ(m[1], (std::pair<std::string, uint64_t>{"b", text.find("\"d29y")}));
  EXPECT_EQ(value_text(text, m[1].second), "d29y/A==");
  EXPECT_TRUE(scan_text(R"({"base64": {}})").empty());
  // The first value decides: a string (or list) first is the id layout,
  // even for an image named "base64".
  m = scan_text(R"({"base64": "aGk=", "x": ["aGk="]})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].first, "base64");
  // Columns are objects, one of them "base64"; objects without it are bad
  // entries of the id layout (indexed, failing on fetch).
  EXPECT_NE(
      scan_error(R"({"base64": {"a": "aGk="}, "b": "aGk="})").find("column 'b' of pandas' columns layout"),
      std::string::npos);
  m = scan_text(R"({"image": {"a": "aGk="}, "size": {}})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].first, "size");
  m = scan_text(R"({"bad": {"a": 1}, "good": "aGk="})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].first, "good");
  EXPECT_NE(scan_error(R"({"base64": {"a": "aGk=",}})").find("byte offset"), std::string::npos);
  EXPECT_NE(scan_error(R"({"base64": {"a": "aGk="}} x)").find("byte offset"), std::string::npos);
}

TEST(JsonScanner, EmptyObjectHasNoIds) {
  EXPECT_TRUE(scan_text("{}").empty());
  EXPECT_TRUE(scan_text(" \n{ \t\r\n } \n").empty());
  EXPECT_TRUE(scan_text("\xEF\xBB\xBF{}").empty());  // a byte order mark is ignored
}

TEST(JsonScanner, WhitespaceEverywhere) {
  std::string text = " \r\n\t{ \n \"a\" \t:\r\n \"QQ==\" \n ,\n\"b\"\n:\n[ \n\"Qg==\" \n, \n1 \n] \n}\n \t";
  Members m = scan_text(text);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].first, "a");
  EXPECT_EQ(m[1].first, "b");
  EXPECT_EQ(value_text(text, m[0].second), "QQ==");
  EXPECT_EQ(value_text(text, m[1].second), "Qg==");
}

TEST(JsonScanner, ListValuesSkipNestedJunk) {
  std::string text =
      R"({"a": ["QQ==", 1, -0.5e+3, 0, 1E9, true, false, null, "s\"]", [], {}, [[1, [2]], {"k": {"x": [null]}}]],)"
      R"( "b": [ "Qg==" ], "c": "Qw=="})";
  Members m = scan_text(text);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].first, "a");
  EXPECT_EQ(m[1].first, "b");
  EXPECT_EQ(m[2].first, "c");
  EXPECT_EQ(value_text(text, m[0].second), "QQ==");
  EXPECT_EQ(value_text(text, m[1].second), "Qg==");
  EXPECT_EQ(value_text(text, m[2].second), "Qw==");
}

TEST(JsonScanner, EscapedIdsAreUnescaped) {
  std::string text =
      R"({"a\"b": "", "a\\b": "", "a\/b": "", "\b\f\n\r\t": "", "\u00e9\u20AC": "", "\ud83d\ude00": "",)"
      R"( "x\u0000y": "", "plain": "", "caf\u00e9": ""})";
  Members m = scan_text(text);
  std::vector<std::string> ids;
  for (auto& [id, offset] : m) ids.push_back(id);
  std::vector<std::string> expected = {"a\"b",
                                       "a\\b",
                                       "a/b",
                                       "\b\f\n\r\t",
                                       "\xC3\xA9\xE2\x82\xAC",
                                       "\xF0\x9F\x98\x80",
                                       std::string("x\0y", 3),
                                       "plain",
                                       "caf\xC3\xA9"};
  EXPECT_EQ(ids, expected);
}

TEST(JsonScanner, RawUtf8IdsPassThrough) {
  Members m = scan_text("{\"caf\xC3\xA9\": \"\"}");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, "caf\xC3\xA9");
}

TEST(JsonScanner, DuplicatesArePassedThrough) {
  Members m = scan_text(R"({"a": "QQ==", "a": "Qg=="})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].first, "a");
  EXPECT_EQ(m[1].first, "a");
  EXPECT_NE(m[0].second, m[1].second);
}

TEST(JsonScanner, EscapedValuesAreUnescapedOnFetch) {
  std::string text = R"({"a": "\/\/\/\/\nQUJD\r\n", "b": ["\u0041\u0041==", 1]})";
  Members m = scan_text(text);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(value_text(text, m[0].second), "////\nQUJD\r\n");
  EXPECT_EQ(value_text(text, m[1].second), "AA==");
}

TEST(JsonScanner, MalformedDocumentsThrowCorruptWithOffsetAndLine) {
  const std::string_view bad[] = {
      "",
      "   \n ",
      "[]",
      "\"x\"",
      "1",
      "null",
      "{",
      "{\"a\"",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\":nul}",
      "{\"a\":{1}}",
      "{\"a\":[1,]}",
      "{\"a\":\"x\",}",
      "{\"a\":\"x\"} x",
      "{\"a\":\"x\"}{}",
      "{\"a\":\"x\"}}",
      "{a:\"x\"}",
      "{'a':'x'}",
      "{\"a\":\"x\" \"b\":\"y\"}",
      "{\"a\" \"x\"}",
      "{\"a\"::\"x\"}",
      "{\"a\":\"x\\q\"}",
      "{\"a\":\"x\\\"}",
      "{\"a\\u12\":\"x\"}",
      "{\"a\\u12g4\":\"x\"}",
      "{\"\\ud800\":\"x\"}",
      "{\"\\ud800\\u0041\":\"x\"}",
      "{\"\\udc00\":\"x\"}",
      "{\"a\":\"x\ny\"}",
      "{\"a\ty\":\"x\"}",
      "{\"a\":[\"x\",01]}",
      "{\"a\":[\"x\",1.]}",
      "{\"a\":[\"x\",.5]}",
      "{\"a\":[\"x\",1e]}",
      "{\"a\":[\"x\",+1]}",
      "{\"a\":[\"x\",-]}",
      "{\"a\":[\"x\",tru]}",
      "{\"a\":[\"x\",nul]}",
      "{\"a\":[\"x\",True]}",
      "{\"a\":[\"x\" 1]}",
      "{\"a\":[\"x\",]}",
      "{\"a\":[\"x\",{\"k\" 1}]}",
      "{\"a\":[\"x\",{1:2}]}",
      "{\"a\":[\"x\",{\"k\":1,}]}",
      "{\"a\":[\"x\",[1,]]}",
      "{\"a\":[\"x\",[1 2]]}",
      "{\"a\":[\"x\"}",
      "{\"a\":[\"x\",{\"k\":1]]}",
      "{\"a\":\"x\"\0}"sv,
      "\0{}"sv,
      "{}\0"sv,
  };
  for (std::string_view text : bad) {
    std::string error = scan_error(text);
    EXPECT_NE(error, "no error") << "accepted: " << text;
    if (error != "no error") {
      EXPECT_NE(error.find("byte offset"), std::string::npos) << error;
    }
  }
  // The offset and line are those of the problem.
  EXPECT_EQ(scan_error("{\n\"a\": \"x\",\n  \"b\" \"y\"}"), "byte offset 18 (line 3): expected ':'");
  EXPECT_EQ(scan_error("{\"a\":\"x\"} ,"),
            "byte offset 10 (line 1): unexpected content after the JSON value");
}

// Well-formed values that are not images are indexed all the same: the
// store stays readable and fetching them fails naming the id.
TEST(JsonScanner, NonImageValuesAreIndexedAndFailOnFetch) {
  const std::string_view texts[] = {"{\"a\":1}", "{\"a\":null}", "{\"a\":{}}", "{\"a\":[]}",
                                    "{\"a\":[1, \"x\"]}"};
  for (std::string_view text : texts) {
    auto members = scan_text(text);
    ASSERT_EQ(members.size(), 1u) << text;
    EXPECT_EQ(members[0].first, "a");
    EXPECT_THROW(value_text(text, members[0].second), Error) << text;
  }
}

TEST(JsonScanner, DepthLimit) {
  auto nested = [](int levels) {
    return "{\"a\": [\"x\", " + std::string(levels - 1, '[') + std::string(levels - 1, ']') + "]}";
  };
  EXPECT_EQ(scan_error(nested(JsonObjectWalker::kMaxDepth)), "no error");
  EXPECT_NE(scan_error(nested(JsonObjectWalker::kMaxDepth + 1), ErrorCode::kUnsupported), "no error");
  EXPECT_NE(scan_error(nested(100000), ErrorCode::kUnsupported), "no error");
}

// Valid documents without trailing whitespace: every proper prefix is
// malformed (an Error, never a crash or an over-read).
const char* kValidDocs[] = {
    R"({"a": "QQ==", "b\"\u00e9\ud83d\ude00": ["Qg==", 1, -2.5e-3, true, false, null, "s", [], {"k": [{}]}]})",
    R"({"x":"\/\/\/\/\n","y":["QUJD"]})",
    "{}",
};

TEST(JsonScanner, EveryTruncationIsAnError) {
  for (const char* doc : kValidDocs) {
    std::string text = doc;
    ASSERT_EQ(scan_error(text), "no error") << text;
    for (size_t n = 0; n < text.size(); ++n) {
      EXPECT_NE(scan_error(text.substr(0, n)), "no error") << text.substr(0, n);
    }
  }
}

// Every single-byte substitution either scans or throws Error; whatever it
// reports can be located (or throws Error).
TEST(JsonScanner, ByteSubstitutionsNeverCrash) {
  const char replacements[] = {'"', '\\', '[', ']', '{', '}', ',',    ':',    ' ',    '\n',   '0',
                               '-', 'e',  'u', 'd', 'a', 't', '\x01', '\x00', '\x7f', '\xc3', '\xff'};
  size_t accepted = 0;
  for (const char* doc : kValidDocs) {
    std::string text = doc;
    for (size_t at = 0; at < text.size(); ++at) {
      for (char r : replacements) {
        std::string t = text;
        t[at] = r;
        try {
          for (auto& [id, offset] : scan_text(t)) {
            try {
              value_text(t, offset);
            } catch (const Error&) {
            }
          }
          ++accepted;
        } catch (const Error&) {
        }
      }
    }
  }
  EXPECT_GT(accepted, 0u);
}

TEST(JsonScanner, LocateValueStringRejectsBadOffsets) {
  std::string text = R"({"a": "QQ==", "b": [1]})";
  EXPECT_THROW(locate_value_string(as_bytes(text), text.size()), Error);
  EXPECT_THROW(locate_value_string(as_bytes(text), uint64_t{1} << 40), Error);
  EXPECT_THROW(locate_value_string(as_bytes(text), 0), Error);
  EXPECT_THROW(locate_value_string(as_bytes(text), text.find('[')), Error);
  EXPECT_THROW(locate_value_string(as_bytes(text.substr(0, 9)), 6), Error);  // unterminated
}

TEST_F(JsonFiles, FetchDecodesStringsAndLists) {
  std::string path =
      write("images.json", R"({"a": "aGVsbG8=", "b": ["d29ybGQ", {"junk": 1}], "c": "\/w=="})");
  auto source = open_json_source(path);
  EXPECT_EQ(source->path(), path);
  EXPECT_EQ(source->payload_kind(), PayloadKind::kJsonBase64);
  Members m = scan(*source);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(fetch(*source, m[0].second, "a"), "hello");
  EXPECT_EQ(fetch(*source, m[1].second, "b"), "world");
  EXPECT_EQ(fetch(*source, m[2].second, "c"), "\xff");
}

TEST_F(JsonFiles, ErrorsNameTheFileAndTheId) {
  std::string text = R"({"good": "QQ==", "bad": "QQ@=", "esc": "\u12"})";
  std::string path = write("bad.json", text);
  auto source = open_json_source(path);
  try {
    scan(*source);
    FAIL() << "scan accepted a bad escape";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    std::string prefix = fmt::format("{}: byte offset {} (line 1): ", path, text.find("\\u12"));
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
  }
  std::string ok_path = write("ok.json", R"({"good": "QQ==", "bad": "QQQQQ@"})");
  auto ok = open_json_source(ok_path);
  Members m = scan(*ok);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(fetch(*ok, m[0].second, "good"), "A");
  try {
    fetch(*ok, m[1].second, "bad");
    FAIL() << "fetch accepted bad base64";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_EQ(std::string(e.what()).rfind(ok_path + ": id 'bad': ", 0), 0u) << e.what();
  }
  Buffer out;
  EXPECT_THROW(ok->fetch(1 << 20, "far", out, nullptr), Error);
  EXPECT_THROW(ok->fetch(0, "brace", out, nullptr), Error);
}

TEST_F(JsonFiles, EmptyAndMissingFiles) {
  std::string empty = write("empty.json", "");
  auto source = open_json_source(empty);
  EXPECT_THROW(scan(*source), Error);
  auto braces = open_json_source(write("braces.json", "{}\n"));
  EXPECT_TRUE(scan(*braces).empty());
  try {
    open_json_source((dir_ / "missing.json").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

// JSON string syntax for `s`: ASCII escapes, other bytes mostly raw, some
// code points as \u escapes (surrogate pairs for those beyond the BMP).
std::string json_quote(const std::string& s, std::mt19937& rng) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  auto u4 = [&](uint32_t unit) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(unit >> shift) & 15]);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '/' && rng() % 2) {
      out += "\\/";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      u4(c);
    } else if (c == 0xF0 && rng() % 2) {  // the 4-byte sequences the generator makes
      uint32_t cp =
          ((c & 7u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
      cp -= 0x10000;
      u4(0xD800 + (cp >> 10));
      u4(0xDC00 + (cp & 0x3FF));
      i += 3;
    } else if (c == 0xC3 && rng() % 2) {
      u4(((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu));
      i += 1;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string random_whitespace(std::mt19937& rng) {
  static const char kWs[] = {' ', '\n', '\t', '\r'};
  std::string out;
  for (int n = rng() % 4 == 0 ? static_cast<int>(rng() % 4) : 0; n > 0; --n) out += kWs[rng() % 4];
  return out;
}

struct Generated {
  std::string text;
  std::vector<std::pair<std::string, std::string>> entries;  // id, image bytes
};

Generated generate(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  Generated g;
  const std::vector<std::string> pieces = {
      "LA_IMG_",          "a\"b", "back\\slash", "sl/ash", "nl\n", "tab\t", "\x01", "caf\xC3\xA9",
      "\xF0\x9F\x98\x80", "{",    "[",           ":",      ","};
  g.text = random_whitespace(rng) + "{";
  for (size_t i = 0; i < count; ++i) {
    std::string id = pieces[rng() % pieces.size()] + std::to_string(i);
    if (rng() % 10 == 0) id = "dup" + std::to_string(rng() % 20);  // duplicates are passed through
    std::string bytes(rng() % 3000, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    std::string b64 = base64_encode(as_bytes(bytes));
    if (rng() % 5 == 0) {  // MIME-style line breaks, written as \n escapes
      std::string wrapped;
      for (size_t k = 0; k < b64.size(); k += 76) wrapped += b64.substr(k, 76) + "\n";
      b64 = wrapped;
    }
    std::string value = json_quote(b64, rng);
    switch (rng() % 4) {
      case 0: value = "[" + random_whitespace(rng) + value + random_whitespace(rng) + "]"; break;
      case 1: value = "[" + value + ", 1, {\"w\": [640, 480], \"s\": \"x]}\"}, null]"; break;
      default: break;
    }
    if (i > 0) g.text += ",";
    g.text += random_whitespace(rng) + json_quote(id, rng) + random_whitespace(rng) + ":" +
              random_whitespace(rng) + value + random_whitespace(rng);
    g.entries.emplace_back(std::move(id), std::move(bytes));
  }
  g.text += "}" + random_whitespace(rng);
  return g;
}

TEST_F(JsonFiles, GeneratedTenThousandEntries) {
  Generated g = generate(10000, 42);
  auto source = open_json_source(write("gen.json", g.text));
  Members m = scan(*source);
  ASSERT_EQ(m.size(), g.entries.size());
  for (size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(m[i].first, g.entries[i].first) << i;
    ASSERT_EQ(fetch(*source, m[i].second, m[i].first), g.entries[i].second) << m[i].first;
  }
}

TEST_F(JsonFiles, ConcurrentFetches) {
  Generated g = generate(2000, 7);
  auto source = open_json_source(write("gen.json", g.text));
  Members m = scan(*source);
  ASSERT_EQ(m.size(), g.entries.size());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Buffer out;
      for (size_t i = t; i < m.size(); i += 2) {  // overlapping halves
        source->fetch(m[i].second, m[i].first, out, nullptr);
        if (as_string_view(out) != g.entries[i].second) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// A file over 4 GiB (written for real: 4.4 GB of disk, seconds to tens of
// seconds depending on the disk):
// locators past 2^32 scan and fetch correctly.
TEST_F(JsonFiles, LargeFileOffsetsPast4GiB) {
  const char* env = std::getenv("MIMICIT_LARGE_TESTS");
  if (env == nullptr || std::string(env) != "1") GTEST_SKIP() << "set MIMICIT_LARGE_TESTS=1";
  std::string path = (dir_ / "large.json").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"first": "Zmlyc3Q=", "filler": ")";
    std::string block(1 << 20, 'A');
    for (int i = 0; i < 4200; ++i) out.write(block.data(), static_cast<std::streamsize>(block.size()));
    out << R"(", "last": ["bGFzdA==", {"k": [1, 2]}]})";
    ASSERT_TRUE(out.good());
  }
  auto source = open_json_source(path);
  Members m = scan(*source);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[2].first, "last");
  EXPECT_GT(m[2].second, uint64_t{1} << 32);
  EXPECT_EQ(fetch(*source, m[0].second, "first"), "first");
  EXPECT_EQ(fetch(*source, m[2].second, "last"), "last");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mimicit::store
