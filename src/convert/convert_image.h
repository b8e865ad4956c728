// The per-image step of `mimicit convert`: keep the bytes, verify them, or
// re-encode them. Separate from the conversion loop so that the loop stays
// about ordering, partitioning and files.
#pragma once

#include <string>

#include "mimicit/bytes.h"
#include "mimicit/convert.h"

namespace mimicit::convert {

// Turns the image file bytes `in` into the bytes to store in `out`.
// Returns an empty string on success, else why the image is dropped.
// Thread-safe.
std::string process_image(const ConvertOptions& options, const Buffer& in, Buffer& out);

}  // namespace mimicit::convert
