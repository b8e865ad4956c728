// CRC-32 (the IEEE 802.3 polynomial, reflected, as zlib and gzip compute it;
// computed by libdeflate).
//
// Parquet page headers carry this checksum over the page's bytes exactly as
// stored (after compression), written as a signed i32: compare with
// static_cast<uint32_t>(header.crc). Pure function; thread-safe; any length
// (64-bit sizes are passed without truncation).
#pragma once

#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit {

// The CRC of `data`, continuing from `crc` (the CRC of the bytes before it,
// 0 to start): crc32(b, crc32(a)) == crc32(a followed by b).
uint32_t crc32(ByteView data, uint32_t crc = 0);

}  // namespace mimicit
