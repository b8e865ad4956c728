#include "parquet/writer/page_writer.h"

#include <limits>

#include "mimicit/error.h"
#include "parquet/compression.h"
#include "parquet/metadata_codec.h"
#include "util/crc32.h"

namespace mimicit::parquet {

int32_t checked_page_size(int64_t size, const char* what) {
  if (size > std::numeric_limits<int32_t>::max()) {
    fail(ErrorCode::kLimit, "{} of {} bytes exceeds the Parquet page limit of 2^31-1 bytes", what, size);
  }
  return static_cast<int32_t>(size);
}

PageWriter::PageWriter(Codec codec, int compression_level, bool write_crc)
    : codec_(codec), level_(compression_level), write_crc_(write_crc) {}

ByteView PageWriter::compress_body(ByteView in) {
  if (codec_ == Codec::UNCOMPRESSED) return in;
  compressed_.clear();
  compress(codec_, in, compressed_, level_);
  return compressed_.view();
}

WrittenPage PageWriter::append_page(PageHeader& header, int64_t uncompressed_body, ByteView stored_head,
                                    ByteView stored_tail, Buffer& out) {
  int64_t stored_body = static_cast<int64_t>(stored_head.size() + stored_tail.size());
  header.uncompressed_page_size = checked_page_size(uncompressed_body, "uncompressed page");
  header.compressed_page_size = checked_page_size(stored_body, "compressed page");
  if (write_crc_) {
    // The CRC covers the page exactly as stored, after the header.
    header.crc = static_cast<int32_t>(crc32(stored_tail, crc32(stored_head)));
  }
  header_bytes_.clear();
  encode_page_header(header, header_bytes_);

  WrittenPage page;
  page.offset = out.size();
  page.compressed_size = checked_page_size(static_cast<int64_t>(header_bytes_.size()) + stored_body, "page");
  page.uncompressed_size = static_cast<int64_t>(header_bytes_.size()) + uncompressed_body;
  out.append(header_bytes_);
  out.append(stored_head);
  out.append(stored_tail);
  return page;
}

WrittenPage PageWriter::write_dictionary_page(ByteView plain_values, int64_t num_values, Buffer& out) {
  PageHeader header;
  header.type = PageType::DICTIONARY_PAGE;
  DictionaryPageHeader& dict = header.dictionary_page_header.emplace();
  dict.num_values = checked_page_size(num_values, "dictionary entry count");
  dict.encoding = Encoding::PLAIN;
  ByteView stored = compress_body(plain_values);
  return append_page(header, static_cast<int64_t>(plain_values.size()), stored, {}, out);
}

WrittenPage PageWriter::write_data_page_v1(DataPageHeader data_header, ByteView body, Buffer& out) {
  PageHeader header;
  header.type = PageType::DATA_PAGE;
  header.data_page_header = std::move(data_header);
  ByteView stored = compress_body(body);
  return append_page(header, static_cast<int64_t>(body.size()), stored, {}, out);
}

WrittenPage PageWriter::write_data_page_v2(DataPageHeaderV2 data_header, ByteView levels, size_t rep_bytes,
                                           ByteView values, Buffer& out) {
  PageHeader header;
  header.type = PageType::DATA_PAGE_V2;
  data_header.definition_levels_byte_length =
      checked_page_size(static_cast<int64_t>(levels.size() - rep_bytes), "definition levels");
  data_header.repetition_levels_byte_length =
      checked_page_size(static_cast<int64_t>(rep_bytes), "repetition levels");
  data_header.is_compressed = codec_ != Codec::UNCOMPRESSED;
  header.data_page_header_v2 = std::move(data_header);
  ByteView stored_values = compress_body(values);
  return append_page(header, static_cast<int64_t>(levels.size() + values.size()), levels, stored_values, out);
}

}  // namespace mimicit::parquet
