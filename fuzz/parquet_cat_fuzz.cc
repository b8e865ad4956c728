// Fuzz target: a whole Parquet file through the `parquet cat` path.
//
// The input is the file. It is opened by path (from a per-process temporary
// file), its footer decoded and its schema built, then parquet_walk.h reads
// it as `mimicit parquet cat` does (every row of every column, rendered as
// JSON and CSV) and also page by page, by point reads, seeks and a sorted
// lookup. CRCs are checked. Seeds: the parquet-testing files of up to 64 KB
// (data/ and bad_data/).
#include "fuzz_util.h"
#include "parquet_walk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mimicit::fuzz::TempFile temp("cat.parquet");
  temp.write(data, size);
  mimicit::fuzz::accept_errors([&] {
    // Point reads stream pages above 1 KiB, so small files exercise both
    // the streamed and the whole-page path.
    auto options = mimicit::fuzz::fuzz_reader_options(true, 1024);
    auto file = mimicit::parquet::ParquetFile::open(temp.path(), options);
    mimicit::fuzz::touch(file->schema().to_string(file->metadata()));
    mimicit::fuzz::walk_parquet_file(file);
  });
  return 0;
}
