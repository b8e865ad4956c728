// RFC 3986 percent-encoding: the unreserved bytes A-Z a-z 0-9 - . _ ~ stay,
// every other byte becomes %XX (upper-case hex), as URL components and AWS
// Signature V4 require. With keep_slash, '/' stays too (a path, as S3's
// canonical URI keeps it).
#pragma once

#include <string>
#include <string_view>

namespace mimicit {

void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash = false);
std::string percent_encoded(std::string_view text, bool keep_slash = false);

}  // namespace mimicit
