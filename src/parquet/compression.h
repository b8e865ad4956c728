// Page compression codecs: one entry point per direction over all Parquet codecs.
//
// decompress() is on the scan path and is built for untrusted input: it writes
// into a caller-provided buffer of exactly the size the page header states and
// never beyond it, and it fails (Error kCorrupt, message starting with the
// codec's name) unless the stream produces exactly that many bytes. This is
// what makes decompression bombs harmless: the output size is fixed before a
// single byte is decoded, and the caller checks it against its own limits.
//
// Thread-safety: all functions are safe to call concurrently. Each thread
// keeps its own decompression contexts (zstd, zlib, lz4 frame) alive between
// calls, so that scanning many small pages does not pay for allocating a
// context per page.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

// Decompresses `in` into exactly `out_size` bytes at `out`. Throws
// Error(kCorrupt) naming the codec when the data is corrupt or does not
// produce exactly out_size bytes; Error(kUnsupported) for LZO or unknown
// codecs. out_size == 0 returns without looking at `in` (some writers store
// zero bytes for an empty compressed page, which is not a valid stream for
// every codec).
//
// LZ4 (the deprecated codec) accepts, in this order, the Hadoop framing that
// parquet-mr writes, a bare LZ4 block (older parquet-cpp) and the LZ4 frame
// format, as other readers do.
void decompress(Codec codec, ByteView in, uint8_t* out, size_t out_size);

// Compresses `in`, appending to `out`. level 0 = the codec's default (for
// BROTLI: quality 8, as Arrow uses, because brotli's own default of 11 is far
// too slow for data files). Supports UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI,
// LZ4_RAW (others: kUnsupported). GZIP writes a gzip member (RFC 1952), as the
// Parquet spec requires. A level the codec rejects is kInvalidArgument.
void compress(Codec codec, ByteView in, Buffer& out, int level = 0);

// True when decompress() handles `codec` (everything but LZO and unknown ids).
bool can_decompress(Codec codec);

}  // namespace mimicit::parquet
