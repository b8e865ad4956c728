// Fuzz target: the Thrift metadata decoders (metadata_codec.h) and the schema
// built from a footer.
//
// The input is handed to every decoder as it is: a FileMetaData footer, a
// PageHeader, a ColumnIndex, an OffsetIndex and a BloomFilterHeader (a
// coverage-guided fuzzer finds which bytes matter to which). Besides "no
// crash", each decoded struct must survive a round trip: re-encoding what was
// decoded and decoding that again gives the same bytes once more (decode o
// encode is a fixed point), so the encoders write nothing the decoders
// reject. Seeds: the footers and first page headers of the parquet-testing
// files (fuzz/make_seeds.py).
#include <cstdio>
#include <cstdlib>

#include "fuzz_util.h"
#include "mimicit/parquet/schema.h"
#include "parquet/metadata_codec.h"

namespace {

using namespace mimicit::parquet;
using mimicit::as_string_view;
using mimicit::Buffer;
using mimicit::ByteView;
using mimicit::Error;
using mimicit::ErrorCode;

[[noreturn]] void fail_round_trip(const char* what, const char* why) {
  std::fprintf(stderr, "round trip of %s: %s\n", what, why);
  std::abort();
}

// encode(decode(encode(x))) must equal encode(x). A second decode may
// legitimately hit the allocation budget (kLimit) when the first input was
// padded with unknown fields the encoder drops; nothing else may fail.
template <typename T, typename Decode, typename Encode>
void check_round_trip(const char* what, const T& decoded, Decode decode, Encode encode) {
  Buffer once;
  encode(decoded, once);
  T again;
  try {
    again = decode(ByteView(once.data(), once.size()));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kLimit) return;
    std::fprintf(stderr, "%s\n", e.what());
    fail_round_trip(what, "the decoder rejects what the encoder wrote");
  }
  Buffer twice;
  encode(again, twice);
  if (as_string_view(once.view()) != as_string_view(twice.view()))
    fail_round_trip(what, "a second round trip changes the bytes");
}

void fuzz_file_metadata(ByteView in) {
  mimicit::fuzz::accept_errors([&] {
    FileMetaData m = decode_file_metadata(in);
    check_round_trip("FileMetaData", m, decode_file_metadata, encode_file_metadata);
    Schema schema(m);
    mimicit::fuzz::touch(schema.to_string(m));
    for (const ColumnDescriptor& c : schema.columns()) {
      mimicit::fuzz::touch(c.dotted_path);
      (void)schema.find_column(c.dotted_path);
      (void)c.is_string();
      (void)c.fixed_width();
    }
  });
}

void fuzz_page_header(ByteView in) {
  mimicit::fuzz::accept_errors([&] {
    size_t used = 0;
    PageHeader h = decode_page_header(in, &used);
    if (used > in.size()) std::abort();
    auto decode = [](ByteView b) {
      size_t n = 0;
      return decode_page_header(b, &n);
    };
    check_round_trip("PageHeader", h, decode, encode_page_header);
  });
}

template <typename T>
void fuzz_struct(const char* what, ByteView in, T (*decode)(ByteView), void (*encode)(const T&, Buffer&)) {
  mimicit::fuzz::accept_errors([&] {
    T v = decode(in);
    check_round_trip(what, v, decode, encode);
  });
}

void fuzz_bloom_filter_header(ByteView in) {
  mimicit::fuzz::accept_errors([&] {
    size_t used = 0;
    decode_bloom_filter_header(in, &used);
    if (used > in.size()) std::abort();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  fuzz_file_metadata(in);
  fuzz_page_header(in);
  fuzz_struct<ColumnIndex>("ColumnIndex", in, decode_column_index, encode_column_index);
  fuzz_struct<OffsetIndex>("OffsetIndex", in, decode_offset_index, encode_offset_index);
  fuzz_bloom_filter_header(in);
  return 0;
}
