// The bounds every request of the viewer is held to (see mimicit/server.h):
// what a client may ask for, and what one answer may cost the server.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mimicit::server {

// Request bodies are never read (only GET and HEAD are served); a larger
// declared body is refused before it is received.
inline constexpr size_t kMaxPayloadBytes = 64 * 1024;
// An instruction or image id in a path.
inline constexpr size_t kMaxIdBytes = 4096;
// /api/samples: rows per page (a larger limit is capped to this).
inline constexpr uint64_t kDefaultPageSize = 20;
inline constexpr uint64_t kMaxPageSize = 100;
// Search: query length, results per answer, and records scanned per answer
// (the answer says where to continue).
inline constexpr size_t kMaxQueryBytes = 256;
inline constexpr uint64_t kDefaultSearchResults = 50;
inline constexpr uint64_t kMaxSearchResults = 100;
inline constexpr uint64_t kSearchRecordsPerRequest = 200000;
// Text of one field in list answers (the sample page shows it in full).
inline constexpr size_t kListTextBytes = 4000;
// Image ids listed per sample (a video may have thousands of frames).
inline constexpr size_t kMaxImagesListed = 64;
// /api/validation: problems per page.
inline constexpr uint64_t kMaxProblemsPerPage = 500;
// Problems shown on one sample's page.
inline constexpr size_t kMaxProblemsPerSample = 50;

}  // namespace mimicit::server
