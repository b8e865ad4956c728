// HTML escaping and URL components of the viewer.
#include <gtest/gtest.h>

#include "server/html.h"

namespace mimicit::server {
namespace {

TEST(Html, EscapesMarkupAndQuotes) {
  EXPECT_EQ(html("<script>window.__pwned=1</script>"), "&lt;script&gt;window.__pwned=1&lt;/script&gt;");
  EXPECT_EQ(html("a & b \"c\" 'd'"), "a &amp; b &quot;c&quot; &#39;d&#39;");
  EXPECT_EQ(html("&amp;"), "&amp;amp;");
  EXPECT_EQ(html(""), "");
}

TEST(Html, KeepsTextAndShowsControlCharacters) {
  EXPECT_EQ(html("line\nnext\ttab\r"), "line\nnext\ttab\r");
  EXPECT_EQ(html("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
  // NUL, \x04 (fuyu's separator) and DEL as their control pictures.
  EXPECT_EQ(html(std::string_view("a\0b", 3)),
            "a\xe2\x90\x80"
            "b");
  EXPECT_EQ(html("Assistant:\x04 x"), "Assistant:\xe2\x90\x84 x");
  EXPECT_EQ(html("\x7f"), "\xe2\x90\xa1");
}

TEST(Html, ReplacesInvalidUtf8) {
  EXPECT_EQ(html("a\xff"
                 "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(html("\xc3"), "\xef\xbf\xbd");                                  // truncated sequence
  EXPECT_EQ(html("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate, as Python
  EXPECT_EQ(html("<\xfe>"), "&lt;\xef\xbf\xbd&gt;");
}

TEST(Html, UrlComponentIsEncodeURIComponent) {
  // Expected values from JavaScript's encodeURIComponent.
  EXPECT_EQ(url_component("VQA_IMG_odd/name?x=1#frag&y%2F"), "VQA_IMG_odd%2Fname%3Fx%3D1%23frag%26y%252F");
  EXPECT_EQ(url_component("a b+c~d.e-f_g"), "a%20b%2Bc~d.e-f_g");
  EXPECT_EQ(url_component("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(url_component(std::string_view("\0\"<'", 4)), "%00%22%3C%27");
  EXPECT_EQ(url_component("../../etc/passwd"), "..%2F..%2Fetc%2Fpasswd");
}

}  // namespace
}  // namespace mimicit::server
