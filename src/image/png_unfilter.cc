// PNG scanline unfiltering (PNG spec, section 9), in place.
//
// Up is data-parallel and runs 16 bytes at a time. Sub, Average and Paeth
// depend on the pixel to the left, which was just computed: they run one
// pixel at a time, with the pixel's 1..8 bytes side by side in one SSE2
// register (Paeth in 16-bit lanes, because its distances need 9 bits). The
// serial dependency is what limits the speed, so each loop keeps the left
// pixel in a register and does as little as possible between one pixel's
// result and the next pixel's.
//
// Loads take 8 bytes whatever the pixel size (the pixel's bytes, then
// don't-care bytes that are never stored), hence the slack the header asks
// for; stores write exactly the pixel's bytes, so unfiltering in place never
// touches bytes not yet read.
#include <cstring>

#include "image/png_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mimicit::image::internal {

// ---------------------------------------------------------------------------
// The reference: the specification's formulas, byte by byte.

namespace {

uint8_t paeth_predictor(int a, int b, int c) {
  int p = a + b - c;
  int pa = p > a ? p - a : a - p;
  int pb = p > b ? p - b : b - p;
  int pc = p > c ? p - c : c - p;
  if (pa <= pb && pa <= pc) return uint8_t(a);
  if (pb <= pc) return uint8_t(b);
  return uint8_t(c);
}

}  // namespace

bool png_unfilter_row_reference(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t row_bytes,
                                unsigned bpp) {
  if (filter > kFilterPaeth) return false;
  for (size_t i = 0; i < row_bytes; ++i) {
    int a = i >= bpp ? row[i - bpp] : 0;
    int b = prev[i];
    int c = i >= bpp ? prev[i - bpp] : 0;
    int predicted = 0;
    switch (filter) {
      case kFilterSub: predicted = a; break;
      case kFilterUp: predicted = b; break;
      case kFilterAverage: predicted = (a + b) >> 1; break;
      case kFilterPaeth: predicted = paeth_predictor(a, b, c); break;
      default: break;
    }
    row[i] = uint8_t(row[i] + predicted);
  }
  return true;
}

// ---------------------------------------------------------------------------
// The fast kernels.

namespace {

void unfilter_up(uint8_t* row, const uint8_t* prev, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(prev + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(row + i), _mm_add_epi8(x, b));
  }
#endif
  for (; i < n; ++i) row[i] = uint8_t(row[i] + prev[i]);
}

#if defined(__SSE2__)

// The 8 bytes at p (the pixel's bytes first) in the low half of a register.
inline __m128i load8(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }

// Stores the low Bpp bytes of v.
template <unsigned Bpp>
inline void store_pixel(uint8_t* p, __m128i v) {
  uint64_t bytes = uint64_t(_mm_cvtsi128_si64(v));
  std::memcpy(p, &bytes, Bpp);
}

inline __m128i abs16(__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v)); }

template <unsigned Bpp>
void unfilter_sub(uint8_t* row, size_t n) {
  __m128i a = _mm_setzero_si128();
  for (size_t i = 0; i < n; i += Bpp) {
    a = _mm_add_epi8(a, load8(row + i));
    store_pixel<Bpp>(row + i, a);
  }
}

// (a + b) >> 1 per byte: pavgb rounds up, so take back the low bit of a ^ b.
template <unsigned Bpp>
void unfilter_average(uint8_t* row, const uint8_t* prev, size_t n) {
  const __m128i one = _mm_set1_epi8(1);
  __m128i a = _mm_setzero_si128();
  for (size_t i = 0; i < n; i += Bpp) {
    __m128i b = load8(prev + i);
    __m128i floor_avg = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
    a = _mm_add_epi8(load8(row + i), floor_avg);
    store_pixel<Bpp>(row + i, a);
  }
}

// Paeth in 16-bit lanes. With p = a + b - c: pa = |b - c| does not depend
// on the left pixel a; pb = |a - c| and pc = |(a - c) + (b - c)| do, and so
// does everything after them: about 12 dependent operations per pixel.
struct PaethState {
  __m128i a, c;  // the left and upper-left pixels, 16-bit lanes
};

inline __m128i paeth_step(PaethState& s, __m128i b, __m128i x) {
  const __m128i b_minus_c = _mm_sub_epi16(b, s.c);
  const __m128i pa = abs16(b_minus_c);
  const __m128i b_xor_c = _mm_xor_si128(b, s.c);
  const __m128i a_minus_c = _mm_sub_epi16(s.a, s.c);
  const __m128i pb = abs16(a_minus_c);
  const __m128i pc = abs16(_mm_add_epi16(a_minus_c, b_minus_c));
  // b unless pc < pb; a unless pa > pb or pa > pc.
  const __m128i b_or_c = _mm_xor_si128(b, _mm_and_si128(b_xor_c, _mm_cmpgt_epi16(pb, pc)));
  const __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
  const __m128i predicted = _mm_xor_si128(s.a, _mm_and_si128(_mm_xor_si128(s.a, b_or_c), not_a));
  s.a = _mm_and_si128(_mm_add_epi16(predicted, x), _mm_set1_epi16(0xff));
  s.c = b;
  return s.a;
}

// Paeth on N consecutive scanlines at once (stride apart, `prev` above the
// first). One scanline is a chain of dependent pixels; N scanlines are N
// chains the CPU runs side by side, if each runs one pixel behind the one
// above it: iteration i does pixel i of line 0, pixel i - 1 of line 1, ...
// Line k's upper neighbour b is then line k-1's last result, still in a
// register, and its upper-left c is the b before.
template <unsigned Bpp, unsigned N>
void unfilter_paeth_lines(uint8_t* first, size_t stride, const uint8_t* prev, size_t n) {
  const __m128i zero = _mm_setzero_si128();
  const size_t width = n / Bpp;
  PaethState state[N];
  for (PaethState& s : state) s = {zero, zero};
  // Lines N-1 .. 0, so that line k reads line k-1's result of the last
  // iteration. `all` says every line has a pixel in this iteration.
  auto iteration = [&](size_t i, bool all) {
    for (unsigned k = N; k-- > 0;) {
      if (!all && (i < k || i - k >= width)) continue;
      const size_t at = (i - k) * Bpp;
      uint8_t* row = first + k * stride;
      const __m128i b = k == 0 ? _mm_unpacklo_epi8(load8(prev + at), zero) : state[k - 1].a;
      const __m128i x = _mm_unpacklo_epi8(load8(row + at), zero);
      const __m128i out = paeth_step(state[k], b, x);
      store_pixel<Bpp>(row + at, _mm_packus_epi16(out, out));
    }
  };
  size_t i = 0;
  for (; i < N - 1; ++i) iteration(i, false);
  for (; i < width; ++i) iteration(i, true);
  for (; i < width + N - 1; ++i) iteration(i, false);
}

template <unsigned Bpp>
void unfilter_paeth(uint8_t* row, const uint8_t* prev, size_t n) {
  unfilter_paeth_lines<Bpp, 1>(row, 0, prev, n);
}

template <unsigned Bpp>
void unfilter_serial(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t n) {
  switch (filter) {
    case kFilterSub: unfilter_sub<Bpp>(row, n); break;
    case kFilterAverage: unfilter_average<Bpp>(row, prev, n); break;
    default: unfilter_paeth<Bpp>(row, prev, n); break;
  }
}

#endif  // __SSE2__

}  // namespace

bool png_unfilter_row(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t row_bytes, unsigned bpp) {
  switch (filter) {
    case kFilterNone: return true;
    case kFilterUp: unfilter_up(row, prev, row_bytes); return true;
    case kFilterSub:
    case kFilterAverage:
    case kFilterPaeth: break;
    default: return false;
  }
#if defined(__SSE2__)
  if (row_bytes % bpp != 0) return png_unfilter_row_reference(filter, row, prev, row_bytes, bpp);
  switch (bpp) {
    case 1: unfilter_serial<1>(filter, row, prev, row_bytes); return true;
    case 2: unfilter_serial<2>(filter, row, prev, row_bytes); return true;
    case 3: unfilter_serial<3>(filter, row, prev, row_bytes); return true;
    case 4: unfilter_serial<4>(filter, row, prev, row_bytes); return true;
    case 6: unfilter_serial<6>(filter, row, prev, row_bytes); return true;
    case 8: unfilter_serial<8>(filter, row, prev, row_bytes); return true;
    default: break;  // 5 and 7 do not occur in PNG
  }
#endif
  return png_unfilter_row_reference(filter, row, prev, row_bytes, bpp);
}

#if defined(__SSE2__)
namespace {

// Lines that png_unfilter_lines unfilters together when they all use Paeth.
// Measured on 640x480 RGB (3-byte pixels): 3.3 ns per pixel one line at a
// time (the chain's latency), 2.6 with 3 lines, 2.4 with 4; by then the
// execution units, not the dependencies, are the limit.
constexpr size_t kPaethLines = 4;

template <unsigned Bpp>
void paeth_lines(size_t count, uint8_t* first, size_t stride, const uint8_t* prev, size_t n) {
  switch (count) {
    case 2: unfilter_paeth_lines<Bpp, 2>(first, stride, prev, n); break;
    case 3: unfilter_paeth_lines<Bpp, 3>(first, stride, prev, n); break;
    default: unfilter_paeth_lines<Bpp, 4>(first, stride, prev, n); break;
  }
}

}  // namespace
#endif

size_t png_unfilter_lines(uint8_t* lines, size_t count, const uint8_t* prev, size_t row_bytes, unsigned bpp) {
  const size_t stride = row_bytes + 1;
#if defined(__SSE2__)
  size_t paeth = 0;
  while (paeth < count && paeth < kPaethLines && lines[paeth * stride] == kFilterPaeth) ++paeth;
  if (paeth >= 2 && row_bytes % bpp == 0) {
    switch (bpp) {
      case 1: paeth_lines<1>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      case 2: paeth_lines<2>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      case 3: paeth_lines<3>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      case 4: paeth_lines<4>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      case 6: paeth_lines<6>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      case 8: paeth_lines<8>(paeth, lines + 1, stride, prev, row_bytes); return paeth;
      default: break;
    }
  }
#endif
  if (count == 0) return 0;
  return png_unfilter_row(lines[0], lines + 1, prev, row_bytes, bpp) ? 1 : 0;
}

}  // namespace mimicit::image::internal
