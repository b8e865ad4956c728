// `mimicit parquet check`: decodes every value of a Parquet file and checks
// that the counts agree with its metadata.
//
// Every page of every selected column chunk is read with ColumnChunkReader
// and decoded (which verifies page CRCs when present). Then, per chunk, the
// levels in the pages must equal the metadata's num_values and the rows that
// start in them the row group's num_rows; the row groups' rows must add up
// to the file's num_rows. Nothing is done per value beyond what decode()
// does: this is the scan the benchmarks time.
//
// Column chunks are decoded by `threads` threads (a shared queue of
// (row group, column) tasks); the report is the same whatever the thread
// count. A problem in one chunk (corrupt page, CRC mismatch, wrong count)
// is recorded with the file, row group, column and page offset, and the
// other chunks are still checked.
//
// Every column is checked, whatever its nesting: pages decode without
// assembling rows, so maps and nested lists are verified too (rows are
// counted from repetition levels). A footer row total that disagrees with
// the row groups is a warning (readers go by the row groups). A file that
// cannot be opened, or an unknown column name, throws mimicit::Error.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace mimicit::inspect {

struct CheckOptions {
  std::vector<std::string> columns;  // names as resolve_columns takes them; empty = all
  int threads = 0;                   // 0 = std::thread::hardware_concurrency()
};

// Counts for one column, summed over the row groups.
struct ColumnCheck {
  std::string name;    // dotted path
  int64_t rows = 0;    // rows that start in its pages
  int64_t values = 0;  // non-null values
  int64_t nulls = 0;   // levels without a value: nulls, and null or empty lists
  int64_t pages = 0;   // data pages read
  int64_t bytes = 0;   // compressed bytes read (page headers and pages)
};

struct CheckReport {
  std::string path;
  int64_t num_rows = 0;  // from the footer
  int num_row_groups = 0;
  size_t num_file_columns = 0;
  std::vector<ColumnCheck> columns;   // the selection, in its order
  std::vector<std::string> warnings;  // oddities that do not make the data unreadable
  std::vector<std::string> problems;  // empty when the file is sound
  double seconds = 0;                 // wall time of the decoding
  int threads = 0;                    // threads used
};

CheckReport check_parquet(const std::string& path, const CheckOptions& options);

// Prints a table of the columns' counts and a total line with the read rate;
// the problems are left to the caller (the CLI prints them on stderr).
void print_check_report(const CheckReport& report, std::ostream& out);

}  // namespace mimicit::inspect
