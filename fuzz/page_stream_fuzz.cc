// Fuzz target: page decompression, whole (compression.h, every codec) and
// streamed (page_stream.h: UNCOMPRESSED, SNAPPY, ZSTD, GZIP), against each
// other.
//
// Input: [0] codec (mod 8), [1..4] the uncompressed page size the header
// would state (LE, taken mod 4 MiB + 1), [5..8] the seed of the read plan,
// then the compressed page. Checks, beyond "no crash":
//   - when the whole-page decompression succeeds, the stream yields the same
//     bytes (read in the plan's mix of read() and skip() calls of various
//     sizes), or refuses with kUnsupported (a snappy copy reaching beyond
//     its window, which page_stream.h allows) or, for ZSTD only, kCorrupt
//     (see check_stream);
//   - what decompressed is compressed again with the same codec (when
//     compress() supports it) and decompresses back to the same bytes.
// The stream reads from a memory-mapped temporary file, as it does in a
// store. Seeds: small payloads compressed with every codec by pyarrow
// (fuzz/make_seeds.py).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_util.h"
#include "mimicit/file.h"
#include "parquet/compression.h"
#include "parquet/reader/page_stream.h"

namespace {

using namespace mimicit::parquet;
using mimicit::Buffer;
using mimicit::ByteView;
using mimicit::Error;
using mimicit::ErrorCode;

constexpr size_t kPrefix = 9;
constexpr uint32_t kMaxPage = 4u << 20;
constexpr size_t kMaxRecompress = 64u << 10;

uint32_t load_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

[[noreturn]] void fail_check(Codec codec, const char* why) {
  std::fprintf(stderr, "%s: %s\n", to_string(codec).c_str(), why);
  std::abort();
}

bool decompress_whole(Codec codec, ByteView in, Buffer& out, size_t size) {
  out.resize(size);
  try {
    decompress(codec, in, out.data(), size);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Reads `size` bytes through the stream in steps drawn from `plan`; checks
// the bytes read against `whole` when it is given.
void read_stream(PageStream& stream, uint64_t size, uint32_t plan, const Buffer* whole) {
  Buffer chunk;
  uint64_t pos = 0;
  while (pos < size) {
    plan = plan * 1664525u + 1013904223u;  // an LCG: any sequence of steps will do
    const uint64_t step = std::min<uint64_t>(size - pos, (plan >> 8) % (plan & 1 ? 70000 : 300));
    if (plan & 2) {
      stream.skip(step);
    } else {
      chunk.resize(step);
      stream.read(chunk.data(), step);
      if (whole && step && std::memcmp(chunk.data(), whole->data() + pos, step) != 0) {
        fail_check(Codec::UNCOMPRESSED, "the stream and the whole page differ");
      }
    }
    pos += step;
  }
}

void check_stream(Codec codec, const std::string& path, size_t compressed, uint64_t size, uint32_t plan,
                  const Buffer* whole) {
  try {
    auto file = mimicit::MappedFile::open(path);
    auto stream = open_page_stream(codec, *file, 0, compressed, size);
    if (stream) read_stream(*stream, size, plan, whole);
  } catch (const Error& e) {
    // libzstd's one-shot decoder does not hold blocks to the frame's window
    // size and its streaming decoder does (`zstd -d` refuses such frames
    // too): a ZSTD stream may refuse what the whole page accepted. liblz4's
    // one-shot decoder lets a match at offset 0 through (the format forbids
    // it; the output is whatever the buffer held): our LZ4 stream refuses it.
    bool lz4_offset_zero = codec == Codec::LZ4_RAW && std::strstr(e.what(), "a copy at offset 0") != nullptr;
    if (whole && e.code() != ErrorCode::kUnsupported && codec != Codec::ZSTD && !lz4_offset_zero) {
      std::fprintf(stderr, "%s\n", e.what());
      fail_check(codec, "the stream fails where the whole page decompresses");
    }
  }
}

void check_recompress(Codec codec, const Buffer& plain) {
  if (codec == Codec::LZ4 || plain.size() > kMaxRecompress) return;  // no LZ4 (Hadoop) compressor
  Buffer packed;
  try {
    compress(codec, plain.view(), packed);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kUnsupported) return;
    throw;
  }
  Buffer again;
  if (!decompress_whole(codec, packed.view(), again, plain.size()) ||
      (plain.size() && std::memcmp(again.data(), plain.data(), plain.size()) != 0)) {
    fail_check(codec, "compress then decompress does not give the input back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mimicit::fuzz::TempFile temp("page.bin");
  if (size < kPrefix) return 0;
  const Codec codec = static_cast<Codec>(data[0] % 8);
  const uint32_t page_size = load_u32(data + 1) % (kMaxPage + 1);
  const uint32_t plan = load_u32(data + 5);
  ByteView in(data + kPrefix, size - kPrefix);

  Buffer whole;
  bool whole_ok = false;
  mimicit::fuzz::accept_errors([&] {
    if (!can_decompress(codec)) return;
    whole_ok = decompress_whole(codec, in, whole, page_size);
  });
  // A page of size 0 is accepted whole without looking at its bytes
  // (compression.h), while a stream reads its codec's header; not comparable.
  const bool compare = whole_ok && page_size > 0;
  temp.write(in.data(), in.size());
  check_stream(codec, temp.path(), in.size(), page_size, plan, compare ? &whole : nullptr);
  if (whole_ok) check_recompress(codec, whole);
  return 0;
}
