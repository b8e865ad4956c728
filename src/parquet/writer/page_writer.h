// PageWriter: turns the uncompressed body of one page into its bytes in the
// file: compresses it, checks the sizes that Parquet stores as i32, computes
// the CRC, encodes the PageHeader and appends header + body to a buffer.
//
// Page sizes are i32 in the format: a page whose size (compressed or not)
// exceeds 2^31-1 bytes is an Error(kLimit); the caller adds which column and
// row it was. Column chunks, made of many pages, have 64-bit sizes.
#pragma once

#include <cstdint>

#include "mimicit/bytes.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

// Where a page landed in the output buffer and how big it is.
struct WrittenPage {
  uint64_t offset = 0;            // of the page header, in the output buffer
  int32_t compressed_size = 0;    // header + stored body, as PageLocation wants it
  int64_t uncompressed_size = 0;  // header + uncompressed body (for chunk totals)
};

class PageWriter {
 public:
  PageWriter(Codec codec, int compression_level, bool write_crc);

  // A dictionary page holding `num_values` PLAIN-encoded values.
  WrittenPage write_dictionary_page(ByteView plain_values, int64_t num_values, Buffer& out);

  // A v1 data page; `body` is the levels (length-prefixed RLE) followed by
  // the values, all compressed together. header.num_values etc. are set by
  // the caller.
  WrittenPage write_data_page_v1(DataPageHeader header, ByteView body, Buffer& out);

  // A v2 data page: `levels` (bare RLE, never compressed: the first
  // `rep_bytes` the repetition levels, the rest the definition levels) and
  // `values` (compressed when the codec is not UNCOMPRESSED). The level and
  // compression fields of `header` are filled in here.
  WrittenPage write_data_page_v2(DataPageHeaderV2 header, ByteView levels, size_t rep_bytes, ByteView values,
                                 Buffer& out);

  Codec codec() const { return codec_; }

 private:
  // Compresses `in` into compressed_ (or views it when uncompressed).
  ByteView compress_body(ByteView in);
  WrittenPage append_page(PageHeader& header, int64_t uncompressed_body, ByteView stored_head,
                          ByteView stored_tail, Buffer& out);

  Codec codec_;
  int level_;
  bool write_crc_;
  Buffer compressed_;
  Buffer header_bytes_;
};

// Checks that a page size fits the format's i32 fields.
int32_t checked_page_size(int64_t size, const char* what);

}  // namespace mimicit::parquet
