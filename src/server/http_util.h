// Small pieces of the HTTP layer, kept apart so that they can be tested
// without a socket: query values, the Host check, content types.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mimicit/bytes.h"
#include "mimicit/server.h"  // is_loopback_host

namespace mimicit::server {

// A decimal count: 1 to 18 digits, nothing else (no sign, no spaces).
std::optional<uint64_t> parse_count(std::string_view text);

// The Host header's name without the port ("[::1]:80" -> "::1").
std::string host_name(std::string_view host_header);
// Whether a request with this Host header may be answered by a server
// bound to `bound_host`: always when the server listens beyond loopback;
// on loopback only for loopback names (or the bound name), which defeats
// DNS rebinding (a page of another site reaching the local server through
// a name it controls).
bool host_allowed(std::string_view host_header, std::string_view bound_host);

// The Content-Type of stored image bytes (by their magic bytes);
// application/octet-stream when the format is unknown.
const char* image_content_type(ByteView bytes);

}  // namespace mimicit::server
