#include "util/crc32.h"

#include <libdeflate.h>

namespace mimicit {

uint32_t crc32(ByteView data, uint32_t crc) {
  if (data.empty()) return crc;  // an empty view may be null
  // libdeflate's CRC uses carry-less multiplication where the CPU has it:
  // about 3x zlib's crc32_z here (13.5 against 4.1 GB/s), and every page
  // mimicit writes or verifies goes through it. size_t lengths: no chunking.
  return libdeflate_crc32(crc, data.data(), data.size());
}

}  // namespace mimicit
