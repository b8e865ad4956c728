#include "parquet/reader/seek_table.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "mimicit/error.h"
#include "parquet/reader/page_stream.h"

namespace mimicit::parquet {

// ---------------------------------------------------------------------------
// Recording restart points.

void RestartRecorder::enable_segment_hashes() {
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state);
  hash_state_ = std::shared_ptr<void>(state, [](void* p) { XXH3_freeState(static_cast<XXH3_state_t*>(p)); });
}

void RestartRecorder::hash(ByteView output) {
  if (hash_state_ && !output.empty()) {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(hash_state_.get()), output.data(), output.size());
  }
}

void RestartRecorder::boundary(uint64_t in, uint32_t bits, uint64_t out, ByteView history) {
  if (hash_state_) {
    auto* state = static_cast<XXH3_state_t*>(hash_state_.get());
    hashes_.push_back(XXH3_64bits_digest(state));
    XXH3_64bits_reset(state);
  }
  close_open();
  RestartPoint point;
  point.in = in;
  point.out = out;
  point.bits = bits;
  restarts_.push_back(point);
  size_t keep = std::min<size_t>(history.size(), max_window_);
  snapshot_.assign(history.subspan(history.size() - keep));
  need_ = full_windows_ ? keep : 0;
  open_ = true;
  last_out_ = out;
}

// The open restart keeps only the history later copies reached back into.
// One that needs more than was kept cannot be used: it is dropped, and
// reads before the next one start at the one before.
void RestartRecorder::close_open() {
  if (!open_) return;
  open_ = false;
  if (need_ > snapshot_.size()) {
    restarts_.pop_back();
    return;
  }
  RestartPoint& point = restarts_.back();
  point.window = static_cast<uint32_t>(need_);
  point.window_at = windows_.size();
  if (need_ > 0) append_window(ByteView(snapshot_.data() + snapshot_.size() - need_, need_));
}

// A window record: u32 stored size, then the bytes, zstd-compressed when
// that saves space (the windows of base64 text shrink to about 3/4).
void RestartRecorder::append_window(ByteView window) {
  compressed_.resize(ZSTD_compressBound(window.size()));
  size_t n = ZSTD_compress(compressed_.data(), compressed_.size(), window.data(), window.size(), 1);
  bool smaller = !ZSTD_isError(n) && n < window.size();
  ByteView stored = smaller ? compressed_.view().subspan(0, n) : window;
  uint32_t size = static_cast<uint32_t>(stored.size());
  windows_.append(&size, 4);
  windows_.append(stored);
}

ByteView restart_window(const uint8_t* windows, uint64_t window_bytes, const RestartPoint& restart,
                        Buffer& scratch) {
  if (restart.window == 0) return {};
  uint32_t stored = 0;
  if (restart.window_at > window_bytes || window_bytes - restart.window_at < 4)
    fail_corrupt("a bad restart window");
  std::memcpy(&stored, windows + restart.window_at, 4);
  if (stored > window_bytes - restart.window_at - 4 || stored > restart.window)
    fail_corrupt("a bad restart window");
  ByteView bytes(windows + restart.window_at + 4, stored);
  if (stored == restart.window) return bytes;
  scratch.resize(restart.window);
  size_t n = ZSTD_decompress(scratch.data(), scratch.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n) || n != restart.window)
    fail_corrupt("a restart window does not decompress to {} bytes", restart.window);
  return scratch.view();
}

void RestartRecorder::finish(SeekTable& table) {
  if (hash_state_) hashes_.push_back(XXH3_64bits_digest(static_cast<XXH3_state_t*>(hash_state_.get())));
  close_open();
  table.restarts = std::move(restarts_);
  table.windows = std::move(windows_);
  restarts_ = {};
  windows_ = Buffer();
}

// ---------------------------------------------------------------------------
// Building.

bool has_seek_tables(Codec codec) {
  return codec == Codec::UNCOMPRESSED || codec == Codec::SNAPPY || codec == Codec::GZIP ||
         codec == Codec::LZ4_RAW || codec == Codec::ZSTD;
}

namespace {

// Walks the PLAIN byte arrays of a stream, recording where each starts.
void walk_values(PageStream& stream, uint64_t total, int level_sections, uint64_t expected_values,
                 SeekTable& table) {
  std::vector<uint64_t>& values = table.values;
  uint64_t at = 0;
  for (int section = 0; section < level_sections; ++section) {
    if (total - at < 4) fail_corrupt("a page of {} bytes has no room for its levels", total);
    uint32_t length = stream.read_u32_le();
    if (length > total - at - 4) fail_corrupt("levels of {} bytes in a page of {}", length, total);
    const size_t stored = table.levels.size();
    table.levels.resize(stored + 4 + size_t{length});
    std::memcpy(table.levels.data() + stored, &length, 4);  // little-endian hosts only, as the decoders
    stream.read(table.levels.data() + stored + 4, length);
    at += 4 + uint64_t{length};
  }
  if (expected_values != UINT64_MAX) values.reserve(static_cast<size_t>(expected_values));
  while (at < total) {
    if (values.size() == expected_values) {
      fail_corrupt("the page holds more than its {} values ({} bytes left)", expected_values, total - at);
    }
    if (total - at < 4) fail_corrupt("a value's length is cut off at byte {} of {}", at, total);
    values.push_back(at);
    uint32_t length = stream.read_u32_le();
    if (length > total - at - 4) fail_corrupt("a value of {} bytes runs past the page's end", length);
    stream.skip(length);
    at += 4 + uint64_t{length};
  }
  if (expected_values != UINT64_MAX && values.size() != expected_values) {
    fail_corrupt("the page holds {} values, its levels say {}", values.size(), expected_values);
  }
}

// Keeps the ZSTD restart points from which a stream of our own decodes
// exactly what the sequential decode did, up to the next restart kept.
// Right to left, so that each restart is checked over the whole stretch a
// read started there may decode before it hops to the next one.
void verify_zstd_restarts(SeekTable& table, const MappedFile& file, const std::vector<uint64_t>& hashes) {
  const SeekTableHeader& h = table.header;
  std::vector<RestartPoint>& points = table.restarts;
  if (hashes.size() != points.size() + 1)
    fail(ErrorCode::kInternal, "ZSTD: segment digests do not match restarts");
  std::vector<bool> kept(points.size(), false);
  size_t next_kept = points.size();  // index of the next restart kept (points.size(): none)
  Buffer chunk(size_t{1} << 20);
  for (size_t j = points.size(); j-- > 0;) {
    try {
      auto stream = open_page_stream_at(Codec::ZSTD, file, h.stream_offset, h.stream_size, h.uncompressed,
                                        points[j], {}, h.flags);
      bool same = true;
      for (size_t s = j; same && s < next_kept; ++s) {  // stretch s: [points[s].out, next point or end)
        uint64_t stop = s + 1 < points.size() ? points[s + 1].out : h.uncompressed;
        // Owned: a read that throws (a restart that does not hold) must not leak it.
        std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
        if (!state) throw std::bad_alloc();
        XXH3_64bits_reset(state.get());
        for (uint64_t at = points[s].out; at < stop;) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), stop - at));
          stream->read(chunk.data(), n);
          XXH3_64bits_update(state.get(), chunk.data(), n);
          at += n;
        }
        same = XXH3_64bits_digest(state.get()) == hashes[s + 1];
      }
      kept[j] = same;
    } catch (const Error&) {
      kept[j] = false;  // a block that needs what came before it
    }
    if (kept[j]) next_kept = j;
  }
  std::vector<RestartPoint> proven;
  for (size_t j = 0; j < points.size(); ++j) {
    if (kept[j]) proven.push_back(points[j]);
  }
  points = std::move(proven);
}

}  // namespace

std::optional<SeekTable> build_seek_table(Codec codec, const MappedFile& file, uint64_t page_offset,
                                          uint64_t stream_offset, uint64_t stream_size, uint64_t uncompressed,
                                          int level_sections, uint64_t expected_values) {
  if (!has_seek_tables(codec)) return std::nullopt;
  SeekTable table;
  SeekTableHeader& h = table.header;
  h.page_offset = page_offset;
  h.stream_offset = stream_offset;
  h.stream_size = stream_size;
  h.uncompressed = uncompressed;
  h.codec = static_cast<uint32_t>(codec);
  ByteView in = file.slice(stream_offset, std::min<uint64_t>(stream_size, 2));  // the stream fills the rest
  if (codec == Codec::GZIP && in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
    h.flags |= SeekTableHeader::kGzipWrapper;
  }
  RestartRecorder recorder(restart_spacing(codec));
  std::unique_ptr<PageStream> stream =
      open_page_stream(codec, file, stream_offset, stream_size, uncompressed, &recorder);
  walk_values(*stream, uncompressed, level_sections, expected_values, table);
  stream.reset();
  recorder.finish(table);
  if (codec == Codec::ZSTD) verify_zstd_restarts(table, file, recorder.segment_hashes());
  h.num_values = table.values.size();
  h.num_restarts = table.restarts.size();
  h.window_bytes = table.windows.size();
  h.levels_bytes = table.levels.size();
  return table;
}

// ---------------------------------------------------------------------------
// Stored form: per table, the header, the values, the restarts, the windows
// and the levels, each padded to 8 bytes; all after a u64 count.

namespace {

uint64_t padded(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

}  // namespace

void append_seek_tables(const std::vector<SeekTable>& tables, Buffer& out) {
  uint64_t count = tables.size();
  out.append(&count, sizeof count);
  for (const SeekTable& t : tables) {
    out.append(&t.header, sizeof t.header);
    out.append(t.values.data(), t.values.size() * sizeof(uint64_t));
    out.append(t.restarts.data(), t.restarts.size() * sizeof(RestartPoint));
    static const uint8_t kZeros[8] = {};
    for (const Buffer* part : {&t.windows, &t.levels}) {
      out.append(part->data(), part->size());
      out.append(kZeros, padded(part->size()) - part->size());
    }
  }
}

namespace {

// Everything a read relies on to stay inside the file and the table.
bool table_valid(const SeekTableView& t, uint64_t file_size) {
  const SeekTableHeader& h = *t.header;
  if (h.stream_offset > file_size || h.stream_size > file_size - h.stream_offset) return false;
  if (h.page_offset > h.stream_offset || !has_seek_tables(static_cast<Codec>(h.codec))) return false;
  if (static_cast<Codec>(h.codec) == Codec::UNCOMPRESSED && h.uncompressed > h.stream_size) return false;
  for (uint64_t i = 0; i < h.num_values; ++i) {
    if (t.values[i] + 4 > h.uncompressed || (i > 0 && t.values[i] <= t.values[i - 1])) return false;
  }
  for (uint64_t i = 0; i < h.num_restarts; ++i) {
    const RestartPoint& r = t.restarts[i];
    uint32_t max_bits = static_cast<Codec>(h.codec) == Codec::ZSTD ? 255 : 7;
    if (r.in > h.stream_size || r.out > h.uncompressed || r.bits > max_bits || r.window > r.out ||
        r.window_at > h.window_bytes || (r.window > 0 && h.window_bytes - r.window_at < 4)) {
      return false;
    }
    if (i > 0 && (r.in <= t.restarts[i - 1].in || r.out <= t.restarts[i - 1].out)) return false;
  }
  return true;
}

}  // namespace

std::optional<SeekTables> SeekTables::parse(ByteView bytes, uint64_t file_size,
                                            std::shared_ptr<const void> owner) {
  SeekTables tables;
  tables.owner_ = std::move(owner);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0 || bytes.size() < 8) return std::nullopt;
  uint64_t count = 0;
  std::memcpy(&count, bytes.data(), 8);
  uint64_t at = 8;
  if (count > bytes.size() / sizeof(SeekTableHeader)) return std::nullopt;
  for (uint64_t i = 0; i < count; ++i) {
    if (bytes.size() - at < sizeof(SeekTableHeader)) return std::nullopt;
    SeekTableView t;
    t.header = reinterpret_cast<const SeekTableHeader*>(bytes.data() + at);
    at += sizeof(SeekTableHeader);
    const SeekTableHeader& h = *t.header;
    uint64_t rest = bytes.size() - at;
    if (h.num_values > rest / 8) return std::nullopt;
    rest -= h.num_values * 8;
    if (h.num_restarts > rest / sizeof(RestartPoint)) return std::nullopt;
    rest -= h.num_restarts * sizeof(RestartPoint);
    if (h.window_bytes > rest || padded(h.window_bytes) > rest) return std::nullopt;
    rest -= padded(h.window_bytes);
    if (h.levels_bytes > rest || padded(h.levels_bytes) > rest) return std::nullopt;
    t.values = reinterpret_cast<const uint64_t*>(bytes.data() + at);
    at += h.num_values * 8;
    t.restarts = reinterpret_cast<const RestartPoint*>(bytes.data() + at);
    at += h.num_restarts * sizeof(RestartPoint);
    t.windows = bytes.data() + at;
    at += padded(h.window_bytes);
    t.levels = bytes.data() + at;
    at += padded(h.levels_bytes);
    if (!table_valid(t, file_size)) return std::nullopt;
    if (!tables.tables_.empty() && tables.tables_.back().header->page_offset >= h.page_offset)
      return std::nullopt;
    tables.tables_.push_back(t);
  }
  if (at != bytes.size()) return std::nullopt;
  return tables;
}

const SeekTableView* SeekTables::find(uint64_t page_offset) const {
  auto it = std::lower_bound(tables_.begin(), tables_.end(), page_offset,
                             [](const SeekTableView& t, uint64_t o) { return t.header->page_offset < o; });
  if (it == tables_.end() || it->header->page_offset != page_offset) return nullptr;
  return &*it;
}

// ---------------------------------------------------------------------------
// Reading.

const RestartPoint* SeekTableView::restart_before(uint64_t out) const {
  const RestartPoint* begin = restarts;
  const RestartPoint* end = restarts + header->num_restarts;
  const RestartPoint* it =
      std::upper_bound(begin, end, out, [](uint64_t o, const RestartPoint& r) { return o < r.out; });
  return it == begin ? nullptr : it - 1;
}

// The compressed offset by which decoding reaches decompressed offset
// `out`: the first restart point at or after it (a restart lies at a
// boundary of the codec's units, so the unit holding byte out - 1 ends
// there), else the stream's end. An uncompressed stream's offsets are its
// decompressed ones.
uint64_t input_end_for(const SeekTableView& table, uint64_t out) {
  const SeekTableHeader& h = *table.header;
  if (table.codec() == Codec::UNCOMPRESSED) return std::min(out, h.stream_size);
  const RestartPoint* begin = table.restarts;
  const RestartPoint* end = table.restarts + h.num_restarts;
  const RestartPoint* it =
      std::lower_bound(begin, end, out, [](const RestartPoint& r, uint64_t o) { return r.out < o; });
  return it == end ? h.stream_size : it->in;
}

// LZ4 reads at most one input byte per output byte, plus a length byte per
// 255 literals: the value ends before that bound in the input. A stretch
// much longer than a restart interval holds long literal runs (compressible
// data has a restart point every interval), which the stream jumps over
// unread (page_stream_lz4.cc): of it only the end is read, the history a
// match may reach back to (64 KiB) and the value; the tokens before are
// fetched as the stream reads them.
static void narrow_lz4_stretch(const SeekTableView& table, size_t index, uint64_t value_end,
                               const RestartPoint* restart, uint64_t& from, uint64_t& in_end) {
  constexpr uint64_t kHistory = 64 << 10;  // LZ4's largest match offset
  const uint64_t out = value_end - (restart != nullptr ? restart->out : 0);
  const uint64_t slack = out / 255 + 64;
  in_end = std::min(in_end, from + out + slack);
  const uint64_t tail = (value_end - table.values[index]) + kHistory + slack;
  if (in_end > from + tail + 2 * kRestartSpacing) from = in_end - tail;
}

// Tells the stream where value `index` ends, and makes the compressed bytes
// from its position up to there present in one fill: for a file in remote
// storage one ranged GET of about a restart interval plus the value, rather
// than requests a block at a time as the decoder advances.
void SeekCursor::fetch_ahead(const SeekTableView& table, const MappedFile& file, size_t index) {
  const SeekTableHeader& h = *table.header;
  uint64_t value_end = index + 1 < h.num_values ? table.values[index + 1] : h.uncompressed;
  uint64_t in_end = input_end_for(table, value_end);
  const RestartPoint* restart = table.restart_before(at_);
  uint64_t from = restart != nullptr ? restart->in : 0;
  if (table.codec() == Codec::LZ4_RAW) narrow_lz4_stretch(table, index, value_end, restart, from, in_end);
  stream_->stop_at(value_end, in_end);
  if (!file.filled_on_demand()) return;
  if (table.codec() == Codec::UNCOMPRESSED) from = std::min(table.values[index], h.stream_size);
  if (in_end > from) file.fill(h.stream_offset + from, in_end - from + kFetchSlack);
}

SeekCursor::SeekCursor() = default;
SeekCursor::~SeekCursor() = default;

std::string_view SeekCursor::read(const SeekTableView& table, const MappedFile& file, size_t index,
                                  uint64_t max_value_bytes, Buffer& scratch) {
  const SeekTableHeader& h = *table.header;
  if (index >= h.num_values)
    fail_corrupt("value {} is past the {} values of the page's seek table", index, h.num_values);
  uint64_t target = table.values[index];
  const RestartPoint* restart = table.restart_before(target);
  uint64_t restart_out = restart != nullptr ? restart->out : 0;
  bool ahead = page_ == table.header && stream_ && at_ <= target && at_ >= restart_out;
  if (!ahead) {
    page_ = nullptr;
    if (restart != nullptr) {
      ByteView window = restart_window(table.windows, h.window_bytes, *restart, window_scratch_);
      std::span<const RestartPoint> later(restart + 1, table.restarts + h.num_restarts);
      stream_ = open_page_stream_at(table.codec(), file, h.stream_offset, h.stream_size, h.uncompressed,
                                    *restart, window, h.flags, later);
    } else {
      stream_ = open_page_stream(table.codec(), file, h.stream_offset, h.stream_size, h.uncompressed);
    }
    if (!stream_) fail_corrupt("the page's seek table names a codec without streams");
    at_ = restart_out;
  }
  page_ = nullptr;  // until the read succeeds: a failed stream is not continued
  fetch_ahead(table, file, index);
  stream_->skip(target - at_);
  uint32_t length = stream_->read_u32_le();
  if (length > max_value_bytes || length > h.uncompressed - target - 4) {
    fail_corrupt("a value of {} bytes at byte {} does not fit its page of {} bytes", length, target,
                 h.uncompressed);
  }
  scratch.resize(length);
  stream_->read(scratch.data(), length);
  at_ = target + 4 + length;
  page_ = table.header;
  return {reinterpret_cast<const char*>(scratch.data()), length};
}

}  // namespace mimicit::parquet
