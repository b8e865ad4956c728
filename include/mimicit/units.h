// Byte sizes as people write them: "1.5GiB", "256MiB", "2GB", "1000000".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mimicit {

// Parses a size: a number (decimals allowed) and an optional unit, B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), case
// insensitive, K/M/G/T alone meaning the binary units. Throws
// Error(kInvalidArgument) quoting the text when it is not a size.
uint64_t parse_byte_size(std::string_view text);

// "1.50 GiB", "312.0 MiB", "17 B": for progress lines and reports.
std::string format_bytes(uint64_t bytes);

}  // namespace mimicit
