// The two passes of the Pillow-exact BICUBIC resizer: each output sample is
// 2^21 + sum(sample * weight) over its window, shifted right by 22 and
// clamped to 0..255, in 32-bit integers (Pillow's ImagingResampleHorizontal
// / Vertical_8bpc). Integer sums do not depend on the order of the terms, so
// any evaluation order gives Pillow's bytes; only the speed differs.
//
// Portable kernels, plus AVX2 kernels chosen at run time (function-level
// target attributes: the rest of the library stays baseline x86-64):
//   - vertical: whole rows at once, 32 samples per step, widened to 32 bits
//     and multiplied by the row's weight (vpmulld);
//   - horizontal: one output pixel at a time, 4 taps per step. The 12 bytes
//     of 4 RGB pixels are shuffled into 16-bit pairs (r0 r1 g0 g1 b0 b1 0 0 |
//     r2 r3 ...) and multiplied with vpmaddwd, which needs 16-bit weights:
//     the 22-bit weight w is split into hi = w >> 11 and lo = w & 2047, two
//     products are summed separately and combined as (hi_sum << 11) + lo_sum.
//     That is the exact 32-bit sum (modulo 2^32 on the way, and the true sum
//     fits 32 bits, as in Pillow).
#include <algorithm>
#include <atomic>
#include <cstring>

#include "image/resize_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MIMICIT_RESIZE_AVX2 1
#endif

namespace mimicit::image::internal {
namespace {

constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
constexpr int kTapsPerGroup = 4;
constexpr int kGroupInt16s = 32;  // 16 high parts, then 16 low parts

uint8_t clip8(int32_t acc) {
  return static_cast<uint8_t>(std::clamp(acc >> kPrecisionBits, 0, 255));
}

std::atomic<bool> portable_only{false};

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

void horizontal_portable(const uint8_t* in, size_t in_width, int rows, const AxisWindows& w,
                         uint8_t* out) {
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
void vertical_portable_row(const uint8_t* in, size_t stride, int row0, const AxisWindows& w,
                           int y, size_t begin, std::vector<int32_t>& acc, uint8_t* out) {
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

#ifdef MIMICIT_RESIZE_AVX2

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

__attribute__((target("avx2"))) void horizontal_avx2(const uint8_t* in, size_t in_width,
                                                      int rows, const uint8_t* in_end,
                                                      const AxisWindows& w, uint8_t* out) {
  // Bytes of pixels t, t+1 (low lane) and t+2, t+3 (high lane) of a 16-byte
  // load, as 16-bit r r g g b b pairs; -128 (0x80) makes a zero byte.
  const __m256i shuffle = _mm256_setr_epi8(
      0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128, -128, -128, -128, -128,
      6, -128, 9, -128, 7, -128, 10, -128, 8, -128, 11, -128, -128, -128, -128, -128);
  const __m128i half = _mm_set1_epi32(kHalf);
  size_t in_stride = in_width * 3;
  size_t out_stride = static_cast<size_t>(w.out_size) * 3;
  const int16_t* weights = w.madd_weights.data();
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in + static_cast<size_t>(y) * in_stride;
    uint8_t* dst = out + static_cast<size_t>(y) * out_stride;
    for (int x = 0; x < w.out_size; ++x) {
      const uint8_t* p = src + static_cast<size_t>(w.first[x]) * 3;
      int groups = w.group_start[x + 1] - w.group_start[x];
      // The last group's 16-byte load must stay inside the input.
      if (p + (groups - 1) * 12 + 16 > in_end) {
        horizontal_pixel(src, w, x, dst + 3 * x);
        continue;
      }
      const int16_t* k = weights + static_cast<size_t>(w.group_start[x]) * kGroupInt16s;
      __m256i acc_hi = _mm256_setzero_si256();
      __m256i acc_lo = _mm256_setzero_si256();
      for (int g = 0; g < groups; ++g, p += 12, k += kGroupInt16s) {
        __m256i px = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        px = _mm256_shuffle_epi8(px, shuffle);
        __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k));
        __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k + 16));
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(px, hi));
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(px, lo));
      }
      __m128i sum_hi = _mm_add_epi32(_mm256_castsi256_si128(acc_hi), _mm256_extracti128_si256(acc_hi, 1));
      __m128i sum_lo = _mm_add_epi32(_mm256_castsi256_si128(acc_lo), _mm256_extracti128_si256(acc_lo, 1));
      __m128i v = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(sum_hi, 11), sum_lo), half);
      v = _mm_srai_epi32(v, kPrecisionBits);
      v = _mm_packs_epi32(v, v);   // exact: |v| < 2^10
      v = _mm_packus_epi16(v, v);  // clamps to 0..255
      // Four bytes (one store) when the next pixel overwrites the fourth.
      if (x + 1 < w.out_size) {
        _mm_storeu_si32(dst + 3 * x, v);
      } else {
        uint32_t rgb = static_cast<uint32_t>(_mm_cvtsi128_si32(v));
        std::memcpy(dst + 3 * x, &rgb, 3);
      }
    }
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
      for (int t = 0; t < n; ++t, p += stride) a = _mm256_add_epi32(a, times8(p, _mm256_set1_epi32(k[t])));
      __m128i v = _mm_packs_epi32(_mm256_castsi256_si128(descale(a)), _mm256_extracti128_si256(descale(a), 1));
      v = _mm_packus_epi16(v, v);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + i), v);
    }
    if (i < stride) vertical_portable_row(in, stride, row0, w, y, i, acc, out);
  }
}

#endif  // MIMICIT_RESIZE_AVX2

}  // namespace

void set_portable_resize_kernels(bool on) { portable_only.store(on, std::memory_order_relaxed); }

void prepare_madd_weights(AxisWindows& w) {
  w.group_start.assign(static_cast<size_t>(w.out_size) + 1, 0);
  for (int x = 0; x < w.out_size; ++x) {
    w.group_start[x + 1] = w.group_start[x] + (w.count[x] + kTapsPerGroup - 1) / kTapsPerGroup;
  }
  w.madd_weights.assign(static_cast<size_t>(w.group_start.back()) * kGroupInt16s, 0);
  for (int x = 0; x < w.out_size; ++x) {
    const int32_t* k = &w.weights[static_cast<size_t>(x) * w.taps];
    int16_t* group = &w.madd_weights[static_cast<size_t>(w.group_start[x]) * kGroupInt16s];
    for (int t = 0; t < w.count[x]; ++t) {
      // Tap t of its group goes to lane t / 2 (8 int16 each), position t % 2
      // of every pair; the 4 pairs of a lane repeat it for r, g, b, padding.
      int16_t* lane = group + (t / kTapsPerGroup) * kGroupInt16s + (t % kTapsPerGroup) / 2 * 8;
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
#ifdef MIMICIT_RESIZE_AVX2
  if (have_avx2() && !portable_only.load(std::memory_order_relaxed)) {
    horizontal_avx2(in, in_width, rows, in_end, w, out);
    return;
  }
#endif
  (void)in_end;
  horizontal_portable(in, in_width, rows, w, out);
}

void vertical_pass(const uint8_t* in, size_t in_width, int row0, const AxisWindows& w,
                   uint8_t* out) {
  std::vector<int32_t> acc;
#ifdef MIMICIT_RESIZE_AVX2
  if (have_avx2() && !portable_only.load(std::memory_order_relaxed)) {
    vertical_avx2(in, in_width, row0, w, out, acc);
    return;
  }
#endif
  for (int y = 0; y < w.out_size; ++y) vertical_portable_row(in, in_width * 3, row0, w, y, 0, acc, out);
}

}  // namespace mimicit::image::internal
