// A program outside the tree that uses mimicit as installed (tests/install/run.sh):
// encodes a PNG (image), writes it base64 into a ZSTD Parquet store (parquet,
// util), opens the store and gets the image back (store), probes it, and
// reads the rows back. Exercises the public headers and the static
// libraries' private dependencies (zstd, spng/zlib, xxhash, ...).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.parquet\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  try {
    mimicit::image::RgbImage image;
    image.width = 3;
    image.height = 2;
    image.pixels.assign(3 * 2 * 3, 200);
    mimicit::Buffer png;
    mimicit::image::encode_png(image, png);

    mimicit::parquet::WriterOptions options;
    options.codec = mimicit::parquet::Codec::ZSTD;
    options.pandas_index_column = "__index_level_0__";
    mimicit::parquet::ParquetWriter writer(
        path, {{.name = "__index_level_0__", .is_string = true}, {.name = "base64", .is_string = true}},
        options);
    for (const char* id : {"a", "b"}) {
      writer.append_bytes(0, id);
      writer.append_bytes(1, mimicit::base64_encode(png));
      writer.end_row();
    }
    writer.close();

    const auto store = mimicit::ImageStore::open(path);
    mimicit::Buffer bytes;
    store->get("b", bytes);
    const mimicit::image::ImageInfo info = mimicit::image::probe(bytes);

    const auto file = mimicit::parquet::ParquetFile::open(path);
    mimicit::parquet::RowReader rows(file);
    std::vector<mimicit::parquet::Value> row;
    int n = 0;
    while (rows.next(row)) ++n;

    std::printf("%s %zu images, b is a %s of %ux%u, %d rows\n", path.c_str(), store->size(),
                mimicit::image::format_name(info.format), info.width, info.height, n);
    return store->size() == 2 && info.width == 3 && info.height == 2 && n == 2 ? 0 : 1;
  } catch (const mimicit::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
