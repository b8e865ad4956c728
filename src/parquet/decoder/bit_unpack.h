// Bit-unpacking kernels shared by the decoders.
//
// Values are unsigned integers of `bit width` bits packed back to back,
// least significant bit first (the order of the RLE/bit-packing hybrid and of
// DELTA_BINARY_PACKED miniblocks). Kernels are specialised per bit width at
// compile time: every shift and mask is a constant, and the input is read as
// little-endian 64-bit words, so unpacking costs a few instructions per value
// and no branches.
//
// Bounds: unpack_fast<W, N>() reads unpack_read_bytes(W, N) bytes, i.e. the
// group's W*N/8 bytes rounded up to whole 64-bit words; callers use it only
// when that many bytes are readable and fall back to unpack_exact(), which
// copies the group's present bytes into a zeroed stack buffer first (missing
// bits read as zero). Header-only, stateless, thread-safe. Little-endian
// hosts only.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace mimicit::parquet::internal {

static_assert(std::endian::native == std::endian::little,
              "the bit-unpacking kernels assume a little-endian host");

inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Bytes a group of `values` values of `bit_width` bits occupies.
constexpr size_t packed_bytes(int bit_width, int values) {
  return (static_cast<size_t>(bit_width) * values + 7) / 8;
}
// Bytes unpack_fast() reads for such a group (whole 64-bit words, at least 8).
constexpr size_t unpack_read_bytes(int bit_width, int values) {
  return std::max<size_t>(8, (static_cast<size_t>(bit_width) * values + 63) / 64 * 8);
}

template <int kBitWidth, int kIndex, typename Out>
inline void extract_value(const uint64_t* words, Out* out) {
  constexpr int kBit = kIndex * kBitWidth;
  constexpr int kWord = kBit / 64;
  constexpr int kShift = kBit % 64;
  constexpr uint64_t kMask = kBitWidth == 64 ? ~uint64_t{0} : (uint64_t{1} << kBitWidth) - 1;
  uint64_t v = words[kWord] >> kShift;
  // A value straddling two words takes its high bits from the next one.
  if constexpr (kShift + kBitWidth > 64) v |= words[kWord + 1] << (64 - kShift);
  out[kIndex] = static_cast<Out>(v & kMask);
}

template <int kBitWidth, typename Out, int... kIndex>
inline void unpack_words(const uint8_t* in, Out* out, std::integer_sequence<int, kIndex...>) {
  constexpr int kWords = (kBitWidth * static_cast<int>(sizeof...(kIndex)) + 63) / 64;
  uint64_t words[kWords];
  for (int w = 0; w < kWords; ++w) words[w] = load_u64(in + 8 * w);
  (extract_value<kBitWidth, kIndex>(words, out), ...);
}

// Unpacks kValues values (a multiple of 8). Reads unpack_read_bytes(kBitWidth, kValues) bytes.
template <int kBitWidth, int kValues, typename Out>
inline void unpack_fast(const uint8_t* in, Out* out) {
  if constexpr (kBitWidth == 0) {
    for (int i = 0; i < kValues; ++i) out[i] = 0;
  } else {
    unpack_words<kBitWidth>(in, out, std::make_integer_sequence<int, kValues>{});
  }
}

// Unpacks kValues values from the `avail` bytes present at `in` (at most the
// group's size are read); bits beyond them read as zero.
template <int kBitWidth, int kValues, typename Out>
inline void unpack_exact(const uint8_t* in, size_t avail, Out* out) {
  uint8_t padded[unpack_read_bytes(kBitWidth, kValues)] = {};
  const size_t n = std::min(avail, packed_bytes(kBitWidth, kValues));
  if (n) std::memcpy(padded, in, n);
  unpack_fast<kBitWidth, kValues>(padded, out);
}

// Unpacks `groups` groups of 8 values. `in` is followed by `avail` readable
// bytes, with avail >= groups * kBitWidth, except that a single group
// (groups == 1) may be cut short: its missing bits read as zero.
template <int kBitWidth, typename Out>
void unpack_groups_of_8(const uint8_t* in, size_t avail, size_t groups, Out* out) {
  constexpr size_t kGroupBytes = kBitWidth;  // 8 values of kBitWidth bits
  constexpr size_t kFastRead32 = unpack_read_bytes(kBitWidth, 32);
  constexpr size_t kFastRead8 = unpack_read_bytes(kBitWidth, 8);
  if constexpr (kBitWidth == 0) {
    std::fill_n(out, groups * 8, Out{0});
    return;
  }
  size_t g = 0;
  // Four groups at a time while the word loads stay inside the input.
  for (; g + 4 <= groups && avail - g * kGroupBytes >= kFastRead32; g += 4) {
    unpack_fast<kBitWidth, 32>(in + g * kGroupBytes, out + 8 * g);
  }
  for (; g < groups && avail - g * kGroupBytes >= kFastRead8; ++g) {
    unpack_fast<kBitWidth, 8>(in + g * kGroupBytes, out + 8 * g);
  }
  for (; g < groups; ++g) {
    unpack_exact<kBitWidth, 8>(in + g * kGroupBytes, avail - g * kGroupBytes, out + 8 * g);
  }
}

// Unpacks 32 values whose 4 * kBitWidth bytes are at `in`, with `avail`
// readable bytes from `in` (avail >= 4 * kBitWidth).
template <int kBitWidth, typename Out>
void unpack_32(const uint8_t* in, size_t avail, Out* out) {
  if (avail >= unpack_read_bytes(kBitWidth, 32)) {
    unpack_fast<kBitWidth, 32>(in, out);
  } else {
    unpack_exact<kBitWidth, 32>(in, avail, out);
  }
}

// Tables of the kernels above indexed by bit width 0..kMaxBitWidth, so a
// decoder picks its kernel once per run instead of branching per value.
template <typename Out>
using UnpackGroupsFn = void (*)(const uint8_t* in, size_t avail, size_t groups, Out* out);
template <typename Out>
using Unpack32Fn = void (*)(const uint8_t* in, size_t avail, Out* out);

template <typename Out, int... kWidths>
constexpr std::array<UnpackGroupsFn<Out>, sizeof...(kWidths)> make_unpack_groups_table(
    std::integer_sequence<int, kWidths...>) {
  return {&unpack_groups_of_8<kWidths, Out>...};
}
template <typename Out, int... kWidths>
constexpr std::array<Unpack32Fn<Out>, sizeof...(kWidths)> make_unpack_32_table(
    std::integer_sequence<int, kWidths...>) {
  return {&unpack_32<kWidths, Out>...};
}

template <typename Out, int kMaxBitWidth>
inline constexpr auto kUnpackGroupsTable =
    make_unpack_groups_table<Out>(std::make_integer_sequence<int, kMaxBitWidth + 1>{});
template <typename Out, int kMaxBitWidth>
inline constexpr auto kUnpack32Table =
    make_unpack_32_table<Out>(std::make_integer_sequence<int, kMaxBitWidth + 1>{});

}  // namespace mimicit::parquet::internal
