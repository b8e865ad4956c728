#include "util/crc32.h"

#include <zlib.h>

namespace mimicit {

uint32_t crc32(ByteView data, uint32_t crc) {
  // zlib answers 0 for a null buffer whatever the running crc; an empty
  // view (possibly null) leaves the crc unchanged.
  if (data.empty()) return crc;
  // crc32_z takes a size_t length, so no chunking is needed for large inputs.
  return static_cast<uint32_t>(::crc32_z(crc, data.data(), data.size()));
}

}  // namespace mimicit
