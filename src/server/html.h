// Text into HTML and URLs: every piece of dataset text goes through these
// before it is part of a page.
//
// append_html escapes & < > " ' (so the result is safe in element content
// and in double- or single-quoted attributes), replaces invalid UTF-8 with
// U+FFFD and shows control characters other than \n, \r and \t as their
// Unicode control pictures (U+2400 + c, U+2421 for DEL), so the fuyu
// format's \x04 is visible and a NUL cannot end a string early anywhere.
// append_url_component percent-encodes every byte but the unreserved ones
// (A-Z a-z 0-9 - . _ ~), as JavaScript's encodeURIComponent, so an id is
// one path segment or query value whatever it holds.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mimicit::server {

void append_html(std::string& out, std::string_view text);
std::string html(std::string_view text);

void append_url_component(std::string& out, std::string_view text);
std::string url_component(std::string_view text);

}  // namespace mimicit::server
