// The two passes of the Pillow-exact BICUBIC resizer: each output sample is
// 2^21 + sum(sample * weight) over its window, shifted right by 22 and
// clamped to 0..255, in 32-bit integers (Pillow's ImagingResampleHorizontal
// / Vertical_8bpc). Integer sums do not depend on the order of the terms, so
// any evaluation order gives Pillow's bytes; only the speed differs.
//
// Portable kernels, plus vector kernels chosen at run time (function-level
// target attributes: the rest of the library stays baseline x86-64):
//   - vertical (AVX2): whole rows at once, 32 samples per step, widened to
//     32 bits and multiplied by the row's weight (vpmulld);
//   - horizontal: one output pixel at a time, a group of taps per step. The
//     bytes of the group's RGB pixels are shuffled into 16-bit pairs
//     (r0 r1 g0 g1 b0 b1 0 0 | r2 r3 ...) and multiplied with vpmaddwd,
//     which needs 16-bit weights: the 22-bit weight w is split into
//     hi = w >> 11 and lo = w & 2047, the two products are summed separately
//     and combined as (hi_sum << 11) + lo_sum. That is the exact 32-bit sum
//     (modulo 2^32 on the way, and the true sum fits 32 bits, as in Pillow).
//     4 taps per step (vpshufb within 128-bit lanes). (An AVX-512 VBMI/VNNI
//     version with 8 taps per step was slower on Zen 4, whose 512-bit
//     operations take two 256-bit passes: not kept.)
#include <algorithm>
#include <atomic>
#include <cstring>

#include "image/resize_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MIMICIT_RESIZE_X86 1
#endif

namespace mimicit::image::internal {
namespace {

constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
constexpr int kGroupTaps = 4;     // taps per step of the horizontal AVX2 kernel
constexpr int kGroupValues = 32;  // int16s per group: 16 high parts, 16 low parts

uint8_t clip8(int32_t acc) { return static_cast<uint8_t>(std::clamp(acc >> kPrecisionBits, 0, 255)); }

std::atomic<ResizeKernels> kernel_limit{ResizeKernels::kAvx2};

ResizeKernels cpu_kernels() {
#ifdef MIMICIT_RESIZE_X86
  static const ResizeKernels best =
      __builtin_cpu_supports("avx2") ? ResizeKernels::kAvx2 : ResizeKernels::kPortable;
  return best;
#else
  return ResizeKernels::kPortable;
#endif
}

// One output pixel of the horizontal pass; `src` is the input row.
void horizontal_pixel(const uint8_t* src, const AxisWindows& w, int x, uint8_t* dst) {
  const int32_t* k = &w.weights[static_cast<size_t>(x) * w.taps];
  const uint8_t* p = src + static_cast<size_t>(w.first[x]) * 3;
  int32_t r = kHalf, g = kHalf, b = kHalf;
  for (int t = 0; t < w.count[x]; ++t, p += 3) {
    r += p[0] * k[t];
    g += p[1] * k[t];
    b += p[2] * k[t];
  }
  dst[0] = clip8(r);
  dst[1] = clip8(g);
  dst[2] = clip8(b);
}

void horizontal_portable(const uint8_t* in, size_t in_width, int rows, const AxisWindows& w, uint8_t* out) {
  size_t in_stride = in_width * 3;
  size_t out_stride = static_cast<size_t>(w.out_size) * 3;
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in + static_cast<size_t>(y) * in_stride;
    uint8_t* dst = out + static_cast<size_t>(y) * out_stride;
    for (int x = 0; x < w.out_size; ++x) horizontal_pixel(src, w, x, dst + 3 * x);
  }
}

// Output row y accumulates whole input rows, so that the inner loop is
// contiguous.
void vertical_portable_row(const uint8_t* in, size_t stride, int row0, const AxisWindows& w, int y,
                           size_t begin, std::vector<int32_t>& acc, uint8_t* out) {
  size_t n = stride - begin;
  acc.assign(n, kHalf);
  const int32_t* k = &w.weights[static_cast<size_t>(y) * w.taps];
  const uint8_t* src = in + static_cast<size_t>(w.first[y] - row0) * stride + begin;
  for (int t = 0; t < w.count[y]; ++t, src += stride) {
    int32_t weight = k[t];
    for (size_t i = 0; i < n; ++i) acc[i] += src[i] * weight;
  }
  uint8_t* dst = out + static_cast<size_t>(y) * stride + begin;
  for (size_t i = 0; i < n; ++i) dst[i] = clip8(acc[i]);
}

#ifdef MIMICIT_RESIZE_X86

// The horizontal kernel computes one output pixel as two accumulators (the
// products of the high and of the low weight parts), each holding partial
// (r, g, b, 0) sums in both 128-bit lanes. Rounding and storing is done for
// 4 pixels at once (12 bytes, one store).

// The last pixels of a row (fewer than 4 left, or a window that reaches the
// end of the input) go through the portable code.
inline bool block_fits(const AxisWindows& w, const uint8_t* src, int x, const uint8_t* in_end) {
  for (int i = x; i < x + 4; ++i) {
    // Group g reads 16 bytes from byte 12 g of the window.
    int groups = w.group_start[i + 1] - w.group_start[i];
    if (src + static_cast<size_t>(w.first[i]) * 3 + static_cast<size_t>(groups) * 12 + 4 > in_end) {
      return false;
    }
  }
  return true;
}

// 4 pixels' 32-bit (r, g, b, 0) sums of the high and low parts -> 12 bytes
// at dst; 16 are written (one store) when `room` says that at least 4 more
// bytes of the row follow (they are written again later).
__attribute__((target("avx2"))) inline void finish_block(__m128i sum_hi[4], __m128i sum_lo[4], uint8_t* dst,
                                                         bool room) {
  const __m128i half = _mm_set1_epi32(kHalf);
  __m128i v[4];
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(sum_hi[i], 11), sum_lo[i]), half);
    v[i] = _mm_srai_epi32(v[i], kPrecisionBits);
  }
  // Saturating packs clamp like clip8 (|v| < 2^10, so the first is exact).
  __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(v[0], v[1]), _mm_packs_epi32(v[2], v[3]));
  const __m128i compact = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  bytes = _mm_shuffle_epi8(bytes, compact);
  if (room) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
  } else {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
    _mm_storeu_si32(dst + 8, _mm_srli_si128(bytes, 8));
  }
}

struct Avx2Pixel {
  __m256i hi, lo;
};

// One pixel, 4 taps per group: the 12 bytes of pixels t..t+3 are shuffled to
// 16-bit r r g g b b 0 0 pairs (taps t, t+1 in the low lane, t+2, t+3 in the
// high one); 0x80 (-128) makes a zero byte.
__attribute__((target("avx2"))) inline Avx2Pixel avx2_pixel(const uint8_t* p, const int16_t* k, int groups) {
  const __m256i shuffle =
      _mm256_setr_epi8(0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128, -128, -128, -128, -128, 6, -128,
                       9, -128, 7, -128, 10, -128, 8, -128, 11, -128, -128, -128, -128, -128);
  Avx2Pixel acc{_mm256_setzero_si256(), _mm256_setzero_si256()};
  for (int g = 0; g < groups; ++g, p += 12, k += kGroupValues) {
    __m256i px = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    px = _mm256_shuffle_epi8(px, shuffle);
    __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k));
    __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k + 16));
    acc.hi = _mm256_add_epi32(acc.hi, _mm256_madd_epi16(px, hi));
    acc.lo = _mm256_add_epi32(acc.lo, _mm256_madd_epi16(px, lo));
  }
  return acc;
}

__attribute__((target("avx2"))) inline __m128i sum_lanes(__m256i v) {
  return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

// One row: blocks of 4 pixels, then the rest one by one.
__attribute__((target("avx2"))) void horizontal_row_avx2(const uint8_t* src, const uint8_t* in_end,
                                                         const AxisWindows& w, uint8_t* dst) {
  int x = 0;
  for (; x + 4 <= w.out_size && block_fits(w, src, x, in_end); x += 4) {
    __m128i hi[4], lo[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      int group = w.group_start[x + i];
      const int16_t* k = w.madd_weights.data() + static_cast<size_t>(group) * kGroupValues;
      Avx2Pixel acc =
          avx2_pixel(src + static_cast<size_t>(w.first[x + i]) * 3, k, w.group_start[x + i + 1] - group);
      hi[i] = sum_lanes(acc.hi);
      lo[i] = sum_lanes(acc.lo);
    }
    finish_block(hi, lo, dst + 3 * x, x + 6 <= w.out_size);
  }
  for (; x < w.out_size; ++x) horizontal_pixel(src, w, x, dst + 3 * x);
}

// Two rows at once: they share each pixel's window and weight loads.
__attribute__((target("avx2"))) void horizontal_rows2_avx2(const uint8_t* src, size_t in_stride,
                                                           const uint8_t* in_end, const AxisWindows& w,
                                                           uint8_t* dst, size_t out_stride) {
  const __m256i shuffle =
      _mm256_setr_epi8(0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128, -128, -128, -128, -128, 6, -128,
                       9, -128, 7, -128, 10, -128, 8, -128, 11, -128, -128, -128, -128, -128);
  int x = 0;
  // The second row reads further than the first: checking it covers both.
  for (; x + 4 <= w.out_size && block_fits(w, src + in_stride, x, in_end); x += 4) {
    __m128i hi0[4], lo0[4], hi1[4], lo1[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      int group = w.group_start[x + i];
      int groups = w.group_start[x + i + 1] - group;
      const int16_t* k = w.madd_weights.data() + static_cast<size_t>(group) * kGroupValues;
      const uint8_t* p = src + static_cast<size_t>(w.first[x + i]) * 3;
      __m256i a_hi = _mm256_setzero_si256(), a_lo = a_hi, b_hi = a_hi, b_lo = a_hi;
      for (int g = 0; g < groups; ++g, p += 12, k += kGroupValues) {
        __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k));
        __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k + 16));
        __m256i a = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        __m256i b =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + in_stride)));
        a = _mm256_shuffle_epi8(a, shuffle);
        b = _mm256_shuffle_epi8(b, shuffle);
        a_hi = _mm256_add_epi32(a_hi, _mm256_madd_epi16(a, hi));
        a_lo = _mm256_add_epi32(a_lo, _mm256_madd_epi16(a, lo));
        b_hi = _mm256_add_epi32(b_hi, _mm256_madd_epi16(b, hi));
        b_lo = _mm256_add_epi32(b_lo, _mm256_madd_epi16(b, lo));
      }
      hi0[i] = sum_lanes(a_hi);
      lo0[i] = sum_lanes(a_lo);
      hi1[i] = sum_lanes(b_hi);
      lo1[i] = sum_lanes(b_lo);
    }
    finish_block(hi0, lo0, dst + 3 * x, x + 6 <= w.out_size);
    finish_block(hi1, lo1, dst + out_stride + 3 * x, x + 6 <= w.out_size);
  }
  for (; x < w.out_size; ++x) {
    horizontal_pixel(src, w, x, dst + 3 * x);
    horizontal_pixel(src + in_stride, w, x, dst + out_stride + 3 * x);
  }
}

__attribute__((target("avx2"))) void horizontal_avx2(const uint8_t* in, size_t in_width, int rows,
                                                     const uint8_t* in_end, const AxisWindows& w,
                                                     uint8_t* out) {
  size_t in_stride = in_width * 3;
  size_t out_stride = static_cast<size_t>(w.out_size) * 3;
  int y = 0;
  for (; y + 2 <= rows; y += 2) {
    horizontal_rows2_avx2(in + static_cast<size_t>(y) * in_stride, in_stride, in_end, w,
                          out + static_cast<size_t>(y) * out_stride, out_stride);
  }
  for (; y < rows; ++y) {
    horizontal_row_avx2(in + static_cast<size_t>(y) * in_stride, in_end, w,
                        out + static_cast<size_t>(y) * out_stride);
  }
}

// 8 samples (bytes) of `p`, widened to 32 bits, times `weight`.
__attribute__((target("avx2"))) inline __m256i times8(const uint8_t* p, __m256i weight) {
  __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm256_mullo_epi32(v, weight);
}

__attribute__((target("avx2"))) inline __m256i descale(__m256i acc) {
  return _mm256_srai_epi32(acc, kPrecisionBits);
}

__attribute__((target("avx2"))) void vertical_avx2(const uint8_t* in, size_t in_width, int row0,
                                                   const AxisWindows& w, uint8_t* out,
                                                   std::vector<int32_t>& acc) {
  size_t stride = in_width * 3;
  const __m256i half = _mm256_set1_epi32(kHalf);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int y = 0; y < w.out_size; ++y) {
    const int32_t* k = &w.weights[static_cast<size_t>(y) * w.taps];
    const uint8_t* base = in + static_cast<size_t>(w.first[y] - row0) * stride;
    uint8_t* dst = out + static_cast<size_t>(y) * stride;
    int n = w.count[y];
    size_t i = 0;
    for (; i + 32 <= stride; i += 32) {
      __m256i a0 = half, a1 = half, a2 = half, a3 = half;
      const uint8_t* p = base + i;
      for (int t = 0; t < n; ++t, p += stride) {
        __m256i weight = _mm256_set1_epi32(k[t]);
        a0 = _mm256_add_epi32(a0, times8(p, weight));
        a1 = _mm256_add_epi32(a1, times8(p + 8, weight));
        a2 = _mm256_add_epi32(a2, times8(p + 16, weight));
        a3 = _mm256_add_epi32(a3, times8(p + 24, weight));
      }
      // Saturating packs clamp like clip8; they work per 128-bit lane, so
      // the 4-byte groups come out as a0 a1 a2 a3 (low lanes) then the high
      // lanes: the permutation restores the order.
      __m256i s01 = _mm256_packs_epi32(descale(a0), descale(a1));
      __m256i s23 = _mm256_packs_epi32(descale(a2), descale(a3));
      __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(s01, s23), order);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), bytes);
    }
    for (; i + 8 <= stride; i += 8) {
      __m256i a = half;
      const uint8_t* p = base + i;
      for (int t = 0; t < n; ++t, p += stride) {
        a = _mm256_add_epi32(a, times8(p, _mm256_set1_epi32(k[t])));
      }
      a = descale(a);
      __m128i v = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + i), _mm_packus_epi16(v, v));
    }
    if (i < stride) vertical_portable_row(in, stride, row0, w, y, i, acc, out);
  }
}

#endif  // MIMICIT_RESIZE_X86

}  // namespace

ResizeKernels resize_kernels() {
  return std::min(cpu_kernels(), kernel_limit.load(std::memory_order_relaxed));
}

void limit_resize_kernels(ResizeKernels most) { kernel_limit.store(most, std::memory_order_relaxed); }

void prepare_madd_weights(AxisWindows& w) {
  w.group_start.clear();
  w.madd_weights.clear();
  if (resize_kernels() == ResizeKernels::kPortable) return;
  w.group_start.assign(static_cast<size_t>(w.out_size) + 1, 0);
  for (int x = 0; x < w.out_size; ++x) {
    w.group_start[x + 1] = w.group_start[x] + (w.count[x] + kGroupTaps - 1) / kGroupTaps;
  }
  w.madd_weights.assign(static_cast<size_t>(w.group_start.back()) * kGroupValues, 0);
  for (int x = 0; x < w.out_size; ++x) {
    const int32_t* k = &w.weights[static_cast<size_t>(x) * w.taps];
    int16_t* first = &w.madd_weights[static_cast<size_t>(w.group_start[x]) * kGroupValues];
    for (int t = 0; t < w.count[x]; ++t) {
      // Tap t goes to group t / 4, lane t % 4 / 2, position t % 2 of each of
      // the lane's 4 pairs (r, g, b, padding); the low parts 16 int16 later.
      int16_t* lane = first + t / kGroupTaps * kGroupValues + t % kGroupTaps / 2 * 8;
      auto hi = static_cast<int16_t>(k[t] >> 11);  // floor: w = hi * 2048 + lo
      auto lo = static_cast<int16_t>(k[t] & 2047);
      for (int pair = 0; pair < 4; ++pair) {
        lane[pair * 2 + t % 2] = hi;
        lane[16 + pair * 2 + t % 2] = lo;
      }
    }
  }
}

void horizontal_pass(const uint8_t* in, size_t in_width, int rows, const uint8_t* in_end,
                     const AxisWindows& w, uint8_t* out) {
#ifdef MIMICIT_RESIZE_X86
  // The weights were laid out for the kernels of their time (make_windows);
  // a limit set since then falls back to the portable kernel.
  if (!w.madd_weights.empty() && resize_kernels() == ResizeKernels::kAvx2) {
    horizontal_avx2(in, in_width, rows, in_end, w, out);
    return;
  }
#endif
  (void)in_end;
  horizontal_portable(in, in_width, rows, w, out);
}

void vertical_pass(const uint8_t* in, size_t in_width, int row0, const AxisWindows& w, uint8_t* out) {
  std::vector<int32_t> acc;
#ifdef MIMICIT_RESIZE_X86
  if (resize_kernels() >= ResizeKernels::kAvx2) {
    vertical_avx2(in, in_width, row0, w, out, acc);
    return;
  }
#endif
  for (int y = 0; y < w.out_size; ++y) {
    vertical_portable_row(in, in_width * 3, row0, w, y, 0, acc, out);
  }
}

}  // namespace mimicit::image::internal
