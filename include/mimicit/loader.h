// The training loader: batches of samples in a reproducible order, built by
// a pool of threads into contiguous buffers and delivered in order.
//
// Three pieces:
//   - Order: which samples each training step of one rank gets, as a pure
//     function of (seed, epoch, rank, world_size, batch size, group sizes,
//     batching, and where in the epoch it starts).
//   - SampleProducer: what the loader loads from; one sample is a text part
//     (describe(), cheap) and image slots written straight into the batch
//     buffer (load_image(), the expensive part). The real producer is
//     DatasetProducer (end of this file: the data YAML's groups, their image
//     stores and the preprocessing); the tests also use synthetic ones.
//   - Loader: runs the producer on worker threads, `prefetch` batches ahead
//     of the consumer, and hands out the batches in step order whatever
//     thread finished first. Its state (seed, epoch, position) resumes the
//     exact continuation of an epoch.
//
// The order (the reference order of the MIMIC-IT training pipeline, spec 2.4):
//   1. Every group is one dataset of size n. Each epoch it draws n indices
//      in [0, n) uniformly with replacement (kWithReplacement, the
//      reference), or takes a random permutation of [0, n)
//      (kWithoutReplacement), from the stream seeded by (seed, epoch, group)
//      (src/loader/random.h: SplitMix64 + xoshiro256**, identical on every
//      platform). The list does not depend on the rank or world size.
//   2. Rank r of W takes positions r, r + W, r + 2W, ... of that list,
//      padded to a multiple of W by wrapping around to its start (as torch's
//      DistributedSampler), so every rank gets ceil(n / W) samples and the
//      ranks together cover the list exactly once plus the padding.
//   3. A rank cuts its list into batches of batch_size in order; the last,
//      short batch is dropped when drop_last (so a group smaller than
//      W * batch_size has no batch at all with drop_last).
//   4. The steps: a shuffle, seeded by (seed, epoch) only, of the multiset
//      {group g repeated batches_g times}. At each step every group is
//      picked with probability proportional to its remaining batches, hence
//      overall proportional to its size as in the reference; unlike
//      independent draws, every group is used up exactly at the end of the
//      epoch, and since the shuffle does not depend on the rank, all ranks
//      take the same group at the same step and have the same number of
//      steps (what DDP needs: ranks never wait on each other's collectives).
//      The k-th step of group g takes that group's k-th batch.
//
// Batching (OrderOptions::batching) regroups the same samples:
//   - kReference: the order above (the default).
//   - kByShape: within each group, the samples of the epoch's covered
//     positions (steps 1-3: what kReference delivers, padding and drop_last
//     included) are split, stably, into one unit per image count (ascending);
//     every batch comes from one unit, so no image slot is padding. A unit is
//     cut into global batches of world_size * batch_size samples in order;
//     rank r takes positions r, r + W, ... of each. A unit's last global batch
//     may be short (kept, never dropped or carried into another unit): its
//     samples are dealt the same way, so ranks then get batches that differ
//     in size by at most one, and a rank may get an empty batch when fewer
//     than W samples are left. The epoch covers the same samples as
//     kReference, every rank has the same number of steps and the same unit
//     at each step.
//   - kByLength: as LLaVA's group_by_modality_length (and Hugging Face's
//     group_by_length): within each group the covered positions are cut into
//     megabatches of kMegabatch global batches, each sorted by text length
//     (UTF-8 bytes, longest first, stable), then cut into global batches and
//     dealt as above; samples of similar length share a batch, which cuts
//     token padding. Image slots may still be padded.
//   Step 4 then shuffles the units' batches (a unit per group for kReference
//   and kByLength), as it does the groups'. The sample shapes (image count,
//   text length) are the producer's sample_shape(), read once when the
//   loader opens.
//
// Elastic resume. What a step takes is a function of (seed, epoch, group
// sizes, sampling, batching) and of the epoch's *plan*: the world size,
// batch size and drop_last the epoch started with, which fix each unit's
// list of covered positions. A state records the plan and how far each unit
// went (a sample cursor), so it resumes under any world size and per-rank
// batch size: the rest of every unit, [cursor, end), is cut into global
// batches of the new world_size * batch_size and dealt to the new ranks as
// above (the last one short, kept), in a new seeded shuffle of the units'
// batches. The rest of the epoch is then covered exactly once across the new
// ranks: nothing delivered before the state is repeated, nothing the plan
// covers is skipped, whatever W' and B'. What must stay fixed: the data
// (group sizes), seed, sampling, batching and drop_last (the fingerprint
// checks them). A state resumed with the world size and batch size it was
// saved with continues bit-identically (the same order, from its position).
// The next epoch (set_epoch) is planned with the loader's own options.
// A batch never mixes groups. Its images are one buffer of shape
// (samples, max_images, *image shape): the images of sample j are slots
// [j * max_images, j * max_images + num_images), and slots past a sample's
// own count are zeros (IMAGE_TEXT samples may have different numbers of
// images; the reference's collate cannot stack those and fails).
//
// Bad samples: when describe() or load_image() throws (a missing id, a
// corrupt image), the sample is dropped from its batch (which comes out
// shorter, with the other samples in order; a batch whose samples all fail
// comes out empty, so every rank still has the same steps) and the failure is
// counted and reported (step, group, index, id, message) in delivery order.
// With OnError::kRaise, next() throws the batch's first failure instead
// (the batch counts as delivered: the next call continues after it).
// Nothing a producer throws stops the loader or crashes it; only failing to
// allocate a batch buffer is thrown by next() (for that batch).
//
// Thread-safety: Order is immutable. A Loader is driven by one consumer
// thread (next, set_epoch, load_state); error_count() and errors() may be
// called from any thread. The producer is called concurrently from the
// worker threads and must be thread-safe; the loader keeps it alive.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/names.h"
#include "mimicit/preprocess.h"

namespace mimicit::loader {

// ---------------------------------------------------------------------------
// The order

enum class Sampling {
  kWithReplacement,     // n uniform draws per group and epoch (the reference)
  kWithoutReplacement,  // a permutation per group and epoch
};

enum class Batching {
  kReference,  // the reference order: batches may mix image counts (padded)
  kByShape,    // every batch holds samples with the same number of images
  kByLength,   // batches of samples of similar text length
};
inline constexpr NameTable<Batching> kBatchingNames{
    "batching",
    {{Batching::kReference, "reference", "the reference order; fewer images are padded with zeros"},
     {Batching::kByShape, "by_shape", "each batch holds samples with the same number of images"},
     {Batching::kByLength, "by_length", "samples of similar text length share a batch"}}};

// Global batches per kByLength megabatch (as Hugging Face's LengthGroupedSampler).
inline constexpr uint64_t kMegabatch = 50;

struct OrderOptions {
  uint64_t seed = 42;
  uint64_t epoch = 0;
  uint32_t rank = 0;
  uint32_t world_size = 1;
  uint32_t batch_size = 1;
  bool drop_last = true;
  Sampling sampling = Sampling::kWithReplacement;
  Batching batching = Batching::kReference;
};

// What kByShape and kByLength sort a sample on.
struct SampleShape {
  uint32_t images = 0;  // image slots the sample fills
  uint64_t length = 0;  // text length, UTF-8 bytes
};
// Per group, per sample index.
using GroupShapes = std::vector<std::vector<SampleShape>>;

// Where an order starts in its epoch. Default: a fresh epoch planned with
// the order's own world size and batch size. Otherwise the epoch was
// planned with (plan_world_size, plan_batch_size) and begin[u] positions of
// each unit u are already delivered (Order::continuation()).
struct Segment {
  uint32_t plan_world_size = 0;  // 0: a fresh epoch
  uint32_t plan_batch_size = 0;
  std::vector<uint64_t> begin;  // per unit (Order::num_units())

  bool fresh() const { return plan_world_size == 0; }
};

// The samples of one step: a group and indices into that group, in order.
struct BatchIndices {
  uint32_t group = 0;
  std::span<const uint64_t> indices;
};

class Order {
 public:
  // group_sizes[g] = number of samples of group g (0 is allowed: no batches).
  // `shapes` is needed by kByShape and kByLength (one entry per sample).
  // Errors: kInvalidArgument for batch_size 0, world_size 0, rank >= world_size,
  // missing or mis-sized shapes, a segment whose begin does not fit its plan.
  Order(std::vector<uint64_t> group_sizes, const OrderOptions& options,
        std::shared_ptr<const GroupShapes> shapes = nullptr, Segment segment = {});

  const OrderOptions& options() const { return options_; }
  const std::vector<uint64_t>& group_sizes() const { return group_sizes_; }

  // Steps of this epoch (the same for every rank).
  size_t num_batches() const { return step_unit_.size(); }
  // Step `step` < num_batches() of this rank.
  BatchIndices batch(size_t step) const;
  // Batches of group g in this order, per rank.
  size_t group_batches(size_t group) const { return group_batches_[group]; }

  const Segment& segment() const { return segment_; }
  // Units: one per group for kReference and kByLength (empty groups
  // included), one per (group, image count) present for kByShape.
  size_t num_units() const { return units_.size(); }
  // Positions of each unit delivered (by all ranks together) after the
  // first `steps` steps, counting the segment's begin.
  std::vector<uint64_t> consumed(size_t steps) const;
  // The segment that continues this epoch after `steps` steps, for an order
  // of any world size and batch size.
  Segment continuation(size_t steps) const;

  // Identifies what positions mean: a hash of the group sizes, batch size,
  // world size, drop_last and sampling, and of the batching and segment
  // when they are not the defaults (not seed, epoch or rank). A saved
  // position is valid only for an order with the same fingerprint.
  uint64_t fingerprint() const;

  // Step 1 of the order: the epoch's list of one group before the ranks
  // split it (exposed for tests and tools).
  static std::vector<uint64_t> epoch_indices(uint64_t size, uint64_t seed, uint64_t epoch, uint32_t group,
                                             Sampling sampling);

 private:
  struct Unit {
    uint32_t group = 0;
    uint64_t begin = 0;          // positions delivered before this segment
    uint64_t end = 0;            // positions of the unit in the epoch's plan
    std::vector<uint64_t> mine;  // this rank's samples of [begin, end)
    size_t batches = 0;
  };

  OrderOptions options_;
  std::vector<uint64_t> group_sizes_;
  Segment segment_;
  std::vector<Unit> units_;
  std::vector<size_t> group_batches_;
  std::vector<uint32_t> step_unit_;        // per step: its unit
  std::vector<uint32_t> step_unit_batch_;  // per step: which batch of that unit
};

// ---------------------------------------------------------------------------
// Samples and batches

enum class DType : uint8_t { kFloat32, kUint8 };
inline constexpr NameTable<DType> kDTypeNames{
    "dtype", {{DType::kFloat32, "float32", "normalised CHW"}, {DType::kUint8, "uint8", "HWC pixels"}}};

size_t dtype_size(DType dtype);
inline const char* dtype_name(DType dtype) { return kDTypeNames.name(dtype); }

// One image slot: element type and shape, e.g. float32 (3, S, S) for CHW
// tensors or uint8 (S, S, 3) for HWC pixels.
struct ImageLayout {
  DType dtype = DType::kFloat32;
  std::array<uint32_t, 3> shape{3, 224, 224};

  size_t elements() const { return size_t{shape[0]} * shape[1] * shape[2]; }
  size_t bytes() const { return elements() * dtype_size(dtype); }
  bool operator==(const ImageLayout&) const = default;
};

// The text part of one sample, filled by SampleProducer::describe().
struct SampleInfo {
  uint64_t index = 0;  // in its group (set by the loader)
  std::string id;      // instruction id
  std::string dataset;
  std::string text;
  std::vector<std::string> image_ids;  // what the images were loaded from
  uint32_t num_images = 0;             // image slots the sample fills
};

struct SampleError {
  uint64_t epoch = 0;
  uint64_t step = 0;  // the batch the sample was dropped from
  uint32_t group = 0;
  uint64_t index = 0;  // in the group
  std::string id;      // the instruction id (empty only when a producer's describe() failed before naming it)
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

struct Batch {
  uint64_t epoch = 0;
  uint64_t step = 0;
  uint32_t group = 0;
  std::vector<SampleInfo> samples;  // the samples kept, in order
  ImageLayout layout;
  uint32_t max_images = 0;  // image slots per sample in `images`
  // samples.size() * max_images * layout.bytes() bytes (16-byte aligned).
  Buffer images;
  std::vector<SampleError> errors;  // the samples dropped from this batch

  uint8_t* image(size_t sample, size_t slot) {
    return images.data() + (sample * max_images + slot) * layout.bytes();
  }
  const uint8_t* image(size_t sample, size_t slot) const {
    return images.data() + (sample * max_images + slot) * layout.bytes();
  }
};

// What the loader loads from. Every method may be called from several
// threads at once (describe/load_image from the workers, the others from
// anywhere). Failures are thrown as mimicit::Error; they drop the sample.
class SampleProducer {
 public:
  // Per-thread reusable state (decoder buffers, preprocessing contexts):
  // each worker makes one and passes it to every load_image() it runs.
  struct Scratch {
    virtual ~Scratch() = default;
  };

  virtual ~SampleProducer() = default;

  virtual size_t num_groups() const = 0;
  virtual uint64_t group_size(size_t group) const = 0;
  virtual std::string group_name(size_t group) const = 0;
  // The image slot of every sample of the group.
  virtual ImageLayout image_layout(size_t group) const = 0;

  // The sample's image count and text length, for kByShape / kByLength
  // (read once per sample when a loader with those opens). The default
  // describes the sample as of epoch 0; a failure gives {0, 0} (the sample
  // then fails again, and is reported, when its batch is built).
  virtual SampleShape sample_shape(size_t group, uint64_t index) const;

  // May return null; load_image() must accept a null scratch.
  virtual std::unique_ptr<Scratch> make_scratch() const { return nullptr; }

  // Fills `out` (fresh, index set) with the sample's text part and image
  // count as of `epoch`, without loading images. Set out.id before anything
  // that may throw: a failure reports the id it finds there.
  virtual void describe(size_t group, uint64_t epoch, uint64_t index, SampleInfo& out) const = 0;

  // Writes image `slot` < sample.num_images into `out` (image_layout(group)
  // .bytes() bytes).
  virtual void load_image(size_t group, const SampleInfo& sample, uint32_t slot, std::span<uint8_t> out,
                          Scratch* scratch) const = 0;
};

// One sample of one group in `epoch` as a batch of one, on the calling
// thread. Errors are thrown (not skipped), with the group and index as context.
Batch load_sample(const SampleProducer& producer, size_t group, uint64_t index,
                  SampleProducer::Scratch* scratch = nullptr, uint64_t epoch = 0);

// ---------------------------------------------------------------------------
// The loader

enum class OnError { kSkip, kRaise };
inline constexpr NameTable<OnError> kOnErrorNames{"on_error",
                                                  {{OnError::kSkip, "skip", "drop the sample and report it"},
                                                   {OnError::kRaise, "raise", "fail the batch"}}};

struct LoaderOptions {
  OrderOptions order;
  int threads = 0;   // worker threads; 0 = hardware concurrency
  int prefetch = 0;  // batches built ahead of the consumer; 0 = 2 * threads
  OnError on_error = OnError::kSkip;
  // Failures kept in errors(); error_count() counts all of them.
  size_t max_error_reports = 10000;
};

// What resumes a run: position = batches already delivered of the order of
// (world_size, batch_size, segment). Loaded with that world size and batch
// size, it continues that order bit-identically; with others it continues
// the epoch elastically (see "Elastic resume" above).
struct LoaderState {
  uint64_t seed = 0;
  uint64_t epoch = 0;
  uint64_t position = 0;
  uint64_t fingerprint = 0;  // Order::fingerprint(); 0 = not checked
  // 0: the loading loader's own (states saved before elastic resume).
  uint32_t world_size = 0;
  uint32_t batch_size = 0;
  Segment segment;
};

class Loader {
 public:
  // Errors: kInvalidArgument for bad options (see Order).
  Loader(std::shared_ptr<const SampleProducer> producer, const LoaderOptions& options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch of the epoch into `out`; false at the end of the epoch
  // (call set_epoch() or load_state() to go on). Workers start on the first
  // call. Throws the batch's first failure under OnError::kRaise.
  bool next(Batch& out);

  // Starts epoch `epoch` from its first batch (discarding prefetched work).
  void set_epoch(uint64_t epoch);
  // Continues from a saved state, elastically when it was saved with another
  // world size or batch size. Errors: kInvalidArgument when the fingerprint
  // differs (other data, seed-independent options or batching) or the
  // position is past the end of its order.
  void load_state(const LoaderState& state);
  LoaderState state() const;

  const Order& order() const { return *order_; }
  uint64_t position() const { return position_; }
  int threads() const { return threads_; }
  const SampleProducer& producer() const { return *producer_; }

  // Failed samples so far, in delivery order (at most max_error_reports).
  uint64_t error_count() const;
  std::vector<SampleError> errors() const;

 private:
  struct Pipeline;

  std::shared_ptr<const Order> make_order(const OrderOptions& options, Segment segment = {}) const;
  void restart(std::shared_ptr<const Order> order, uint64_t position);

  std::shared_ptr<const SampleProducer> producer_;
  LoaderOptions options_;
  std::vector<uint64_t> group_sizes_;
  std::shared_ptr<const GroupShapes> shapes_;  // for kByShape / kByLength
  int threads_ = 1;
  std::shared_ptr<const Order> order_;
  uint64_t position_ = 0;
  std::unique_ptr<Pipeline> pipeline_;
};

// ---------------------------------------------------------------------------
// The MIMIC-IT producer: the groups of a data YAML as the loader's groups.
//
// Group g is one dataset::GroupDataset (the reference's MimicitDataset of
// that group: its resampled training list and sample texts). A sample's
// images are fetched from the group's image stores and preprocessed
// (preprocess.h) straight into the batch slot:
//   - IMAGE_TEXT, IMAGE_TEXT_IN_CONTEXT: the record's images, in order;
//   - VIDEO_TEXT: the resample_frames chosen frames;
//   - TEXT_ONLY: one image of zeros, 3 x 224 x 224 whatever the image size
//     (the reference's torch.zeros(1, 1, 3, 224, 224)).
// The image stores are a StoreCache's (store_cache.h): each store opened
// once (shared by the groups that name it), on first use, so start-up reads
// only the YAML and the instruction files. An id resolves to the last of the
// group's stores holding it (as within one ImageStore; the reference fails
// on ids present twice). A store that cannot be opened fails every sample
// that needs it, each reported, and is not retried.
struct DataOptions {
  // Instruction format, image size, frames, seed, ... The task description
  // of a sample is picked for the epoch of its batch, as the reference does
  // (picked once at open for sample.epoch, on the fly for other epochs).
  dataset::SampleOptions sample;
  // Normalisation, max_pixels and fast mode; its size is sample.image_size.
  image::PreprocessOptions preprocess;
  // float32: (3, S, S) normalised (the reference); uint8: (S, S, 3) pixels.
  DType dtype = DType::kFloat32;
  // The groups to load, by name ("IMAGE_TEXT", ...); empty: every group of
  // the YAML, in YAML order.
  std::vector<std::string> groups;
  dataset::DataConfigOptions config;
  // How every image store is opened (cache_dir, index_pages, ...).
  ImageStoreOptions stores;
};

class DatasetProducer : public SampleProducer {
 public:
  // Reads the YAML and opens the groups' instruction files. Errors are
  // dataset.h's (kIo, kCorrupt, kNotFound naming the file) and
  // kInvalidArgument for an unknown or repeated group name.
  static std::shared_ptr<const DatasetProducer> open(const std::string& yaml_path,
                                                     const DataOptions& options);
  ~DatasetProducer() override;

  size_t num_groups() const override;
  uint64_t group_size(size_t group) const override;
  std::string group_name(size_t group) const override;
  ImageLayout image_layout(size_t group) const override;
  std::unique_ptr<Scratch> make_scratch() const override;
  void describe(size_t group, uint64_t epoch, uint64_t index, SampleInfo& out) const override;
  void load_image(size_t group, const SampleInfo& sample, uint32_t slot, std::span<uint8_t> out,
                  Scratch* scratch) const override;

  const DataOptions& options() const;
  const dataset::GroupDataset& group_dataset(size_t group) const;

 private:
  struct Impl;
  explicit DatasetProducer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicit::loader
