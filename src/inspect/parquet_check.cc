#include "inspect/parquet_check.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "inspect/parquet_columns.h"
#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "util/file_context.h"
#include "util/worker_pool.h"

namespace mimicit::inspect {

namespace {

using parquet::ParquetFile;

struct ChunkTask {
  int row_group = 0;
  int column = 0;   // column index in the file
  size_t slot = 0;  // position in the selection
};

struct ChunkResult {
  int64_t rows = 0;
  int64_t levels = 0;
  int64_t values = 0;
  int64_t pages = 0;
  int64_t bytes = 0;
  std::optional<std::string> problem;
};

// Reads and decodes every page of one chunk, counting as it goes.
void decode_chunk(parquet::ColumnChunkReader& reader, ChunkResult& result) {
  while (reader.next_page()) {
    const parquet::DecodedPage& page = reader.decode();
    result.levels += page.num_levels;
    result.values += page.num_values;
    result.rows += page.num_rows;
  }
}

// The counts the footer promises for this chunk.
std::optional<std::string> compare_with_metadata(const ParquetFile& file, const ChunkTask& task,
                                                 const ChunkResult& result) {
  const auto& chunk = file.chunk_metadata(task.row_group, task.column);
  if (chunk.num_values != result.levels) {
    return fmt::format("{}: metadata says {} values, the pages hold {}",
                       file.where(task.row_group, task.column), chunk.num_values, result.levels);
  }
  const int64_t rows = file.metadata().row_groups[task.row_group].num_rows;
  if (rows != result.rows) {
    return fmt::format("{}: the row group has {} rows, the pages hold {}",
                       file.where(task.row_group, task.column), rows, result.rows);
  }
  return std::nullopt;
}

// Names the place of an error unless the reader already did.
std::string describe_error(const ParquetFile& file, const ChunkTask& task,
                           const parquet::ColumnChunkReader* reader, std::string_view message) {
  if (message.starts_with(file.path())) return std::string(message);
  std::string where = file.where(task.row_group, task.column);
  if (reader != nullptr && reader->pages_read() > 0) {
    where += fmt::format(", page at offset {}", reader->page().offset);
  }
  return fmt::format("{}: {}", where, message);
}

ChunkResult check_chunk(const std::shared_ptr<const ParquetFile>& file, const ChunkTask& task) {
  ChunkResult result;
  std::unique_ptr<parquet::ColumnChunkReader> reader;
  try {
    reader = std::make_unique<parquet::ColumnChunkReader>(file, task.row_group, task.column);
    decode_chunk(*reader, result);
    result.problem = compare_with_metadata(*file, task, result);
  } catch (const std::exception& e) {  // mimicit::Error, or std::bad_alloc on a huge page
    result.problem = describe_error(*file, task, reader.get(), e.what());
  }
  if (reader) {
    result.pages = reader->pages_read();
    result.bytes = reader->bytes_read();
  }
  return result;
}

std::vector<ChunkTask> make_tasks(const ParquetFile& file, const std::vector<int>& columns) {
  std::vector<ChunkTask> tasks;
  for (int row_group = 0; row_group < file.num_row_groups(); ++row_group) {
    for (size_t slot = 0; slot < columns.size(); ++slot) {
      tasks.push_back({row_group, columns[slot], slot});
    }
  }
  return tasks;
}

// Runs check_chunk over all tasks on `threads` threads; results land in
// task order.
std::vector<ChunkResult> run_tasks(const std::shared_ptr<const ParquetFile>& file,
                                   const std::vector<ChunkTask>& tasks, int threads) {
  std::vector<ChunkResult> results(tasks.size());
  WorkerPool pool(threads);
  pool.run(tasks.size(), [&](size_t i) { results[i] = check_chunk(file, tasks[i]); });
  return results;
}

int thread_count(int requested, size_t tasks) {
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::min<int64_t>(threads, static_cast<int64_t>(tasks));
  return std::max(threads, 1);
}

// Readers go by the row groups, so a footer total that disagrees is worth
// a warning but does not make the data unreadable.
void check_row_total(const ParquetFile& file, std::vector<std::string>& warnings) {
  int64_t rows = 0;
  for (const parquet::RowGroup& row_group : file.metadata().row_groups) rows += row_group.num_rows;
  if (rows != file.num_rows()) {
    warnings.push_back(fmt::format("{}: the row groups hold {} rows, the footer says {}", file.path(), rows,
                                   file.num_rows()));
  }
}

void add_up(const std::vector<ChunkTask>& tasks, const std::vector<ChunkResult>& results,
            CheckReport& report) {
  for (size_t i = 0; i < tasks.size(); ++i) {
    const ChunkResult& result = results[i];
    ColumnCheck& column = report.columns[tasks[i].slot];
    column.rows += result.rows;
    column.values += result.values;
    column.nulls += result.levels - result.values;
    column.pages += result.pages;
    column.bytes += result.bytes;
    if (result.problem) report.problems.push_back(*result.problem);
  }
}

}  // namespace

CheckReport check_parquet(const std::string& path, const CheckOptions& options) {
  return with_file_context(path, [&] {
    const auto file = ParquetFile::open(path);
    CheckReport report;
    const std::vector<int> columns = resolve_columns(file->schema(), options.columns);

    report.path = path;
    report.num_rows = file->num_rows();
    report.num_row_groups = file->num_row_groups();
    report.num_file_columns = file->schema().num_columns();
    for (int column : columns) report.columns.push_back({file->schema().column(column).dotted_path});
    check_row_total(*file, report.warnings);

    const std::vector<ChunkTask> tasks = make_tasks(*file, columns);
    report.threads = thread_count(options.threads, tasks.size());
    const auto start = std::chrono::steady_clock::now();
    const std::vector<ChunkResult> results = run_tasks(file, tasks, report.threads);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    add_up(tasks, results, report);
    return report;
  });
}

void print_check_report(const CheckReport& report, std::ostream& out) {
  std::vector<std::vector<std::string>> table = {{"column", "rows", "values", "nulls", "pages", "bytes"}};
  ColumnCheck total{"total"};
  for (const ColumnCheck& column : report.columns) {
    table.push_back({column.name, std::to_string(column.rows), std::to_string(column.values),
                     std::to_string(column.nulls), std::to_string(column.pages),
                     std::to_string(column.bytes)});
    total.values += column.values;
    total.nulls += column.nulls;
    total.pages += column.pages;
    total.bytes += column.bytes;
  }
  table.push_back({total.name, std::to_string(report.num_rows), std::to_string(total.values),
                   std::to_string(total.nulls), std::to_string(total.pages), std::to_string(total.bytes)});

  std::vector<size_t> widths(table[0].size(), 0);
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string text =
      fmt::format("{}: {} rows, {} row groups, {} of {} columns\n", report.path, report.num_rows,
                  report.num_row_groups, report.columns.size(), report.num_file_columns);
  for (const auto& row : table) {
    text += fmt::format("{:<{}}", row[0], widths[0]);
    for (size_t i = 1; i < row.size(); ++i) text += fmt::format("  {:>{}}", row[i], widths[i]);
    text += '\n';
  }
  const double megabytes = static_cast<double>(total.bytes) / 1e6;
  const double rate = report.seconds > 0 ? megabytes / report.seconds : 0;
  text += fmt::format("read {:.1f} MB in {:.3f} s ({:.1f} MB/s, {} threads): {}\n", megabytes, report.seconds,
                      rate, report.threads,
                      report.problems.empty() ? "ok" : fmt::format("{} problems", report.problems.size()));
  for (const std::string& problem : report.problems) text += "problem: " + problem + "\n";
  out << text;
}

}  // namespace mimicit::inspect
