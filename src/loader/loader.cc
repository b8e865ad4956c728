// Loader: the prefetching pipeline behind next().
//
// A window of `prefetch` slots holds the batches [deliver_, admit_) being
// built; step s lives in slot s % prefetch. Worker threads take, under one
// mutex, the first job there is:
//   - a sample job: load the images of the next unclaimed sample of the
//     earliest batch still loading (earliest first, so the batch the
//     consumer waits for finishes first);
//   - else a plan job: admit step admit_ into a free slot and plan it.
// Jobs run outside the mutex; a job touches only its own sample's slots, so
// the threads write into one batch buffer without locking. The worker that
// finishes a batch's last sample finishes the batch and wakes the consumer,
// which takes the batch of step deliver_ and frees its slot. Which thread
// did what never shows in the output: a batch is a function of its step.
//
// set_epoch()/load_state() pause the workers, wait for running jobs to end
// (they write into slots about to be discarded), then refill the window
// from the new position.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "loader/batch_builder.h"
#include "mimicit/loader.h"

namespace mimicit::loader {

struct Loader::Pipeline {
  enum class State { kFree, kPlanning, kLoading, kFinishing, kDone };

  // The mutex guards a slot's fields except `builder`, which only the jobs
  // use: the plan job, then the sample jobs (each its own sample), then the
  // one that finishes the batch.
  struct Slot {
    State state = State::kFree;
    uint64_t step = 0;
    BatchBuilder builder;
    size_t samples = 0;      // in the batch being loaded
    size_t next_sample = 0;  // next sample to hand to a worker
    size_t pending = 0;      // samples not finished yet
    Batch done;
    std::exception_ptr fatal;  // what planning threw (out of memory)
  };

  Pipeline(std::shared_ptr<const SampleProducer> producer, int threads, int prefetch,
           std::shared_ptr<const Order> order, uint64_t position);
  ~Pipeline();

  bool next(Batch& out);
  void reset(std::shared_ptr<const Order> order, uint64_t position);

  // Failure reports, kept by the consumer and read from any thread.
  void record_errors(const std::vector<SampleError>& failures, size_t max_reports);
  uint64_t error_count();
  std::vector<SampleError> errors();

 private:
  void work();
  bool has_work();
  Slot& slot_of(uint64_t step) { return slots_[step % slots_.size()]; }
  Slot* loading_slot();
  void plan(Slot& slot, std::unique_lock<std::mutex>& lock);
  void load(Slot& slot, SampleProducer::Scratch* scratch, std::unique_lock<std::mutex>& lock);

  const std::shared_ptr<const SampleProducer> producer_;
  std::mutex mutex_;
  std::condition_variable work_cv_;  // workers: a job may be available, or stop
  std::condition_variable done_cv_;  // consumer: a batch is done, or no job runs
  std::vector<Slot> slots_;
  std::shared_ptr<const Order> order_;
  uint64_t deliver_ = 0;  // next step the consumer takes
  uint64_t admit_ = 0;    // next step to plan
  int active_ = 0;        // jobs running outside the mutex
  bool running_ = false;  // the consumer asked for a batch once
  bool paused_ = false;   // a reset is waiting for the running jobs
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  uint64_t error_count_ = 0;
  std::vector<SampleError> errors_;
};

Loader::Pipeline::Pipeline(std::shared_ptr<const SampleProducer> producer, int threads, int prefetch,
                           std::shared_ptr<const Order> order, uint64_t position)
    : producer_(std::move(producer)),
      slots_(static_cast<size_t>(prefetch)),
      order_(std::move(order)),
      deliver_(position),
      admit_(position) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

Loader::Pipeline::~Pipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

Loader::Pipeline::Slot* Loader::Pipeline::loading_slot() {
  for (uint64_t step = deliver_; step < admit_; ++step) {
    Slot& slot = slot_of(step);
    if (slot.state == State::kLoading && slot.next_sample < slot.samples) return &slot;
  }
  return nullptr;
}

bool Loader::Pipeline::has_work() {
  if (admit_ < order_->num_batches() && admit_ - deliver_ < slots_.size()) return true;
  return loading_slot() != nullptr;
}

void Loader::Pipeline::work() {
  // A producer that cannot make its scratch gets none (the contract allows
  // null); the failure then shows on the samples, if at all.
  std::unique_ptr<SampleProducer::Scratch> scratch;
  try {
    scratch = producer_->make_scratch();
  } catch (...) {
  }
  std::unique_lock lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || (running_ && !paused_ && has_work()); });
    if (stopping_) return;
    ++active_;
    if (Slot* slot = loading_slot()) {
      load(*slot, scratch.get(), lock);
    } else {
      plan(slot_of(admit_), lock);
    }
    if (--active_ == 0) done_cv_.notify_all();
  }
}

void Loader::Pipeline::plan(Slot& slot, std::unique_lock<std::mutex>& lock) {
  const uint64_t step = admit_++;
  slot.state = State::kPlanning;
  slot.step = step;
  std::shared_ptr<const Order> order = order_;
  lock.unlock();
  try {
    slot.builder.plan(*producer_, order->options().epoch, step, order->batch(step));
  } catch (...) {
    slot.fatal = std::current_exception();
  }
  lock.lock();
  if (slot.fatal || slot.builder.size() == 0) {
    if (!slot.fatal) slot.done = slot.builder.finish();
    slot.state = State::kDone;
    done_cv_.notify_all();
    return;
  }
  slot.state = State::kLoading;
  slot.samples = slot.builder.size();
  slot.next_sample = 0;
  slot.pending = slot.samples;
  work_cv_.notify_all();
}

void Loader::Pipeline::load(Slot& slot, SampleProducer::Scratch* scratch,
                            std::unique_lock<std::mutex>& lock) {
  const size_t sample = slot.next_sample++;
  lock.unlock();
  slot.builder.load(*producer_, sample, scratch);
  lock.lock();
  if (--slot.pending > 0) return;
  // The last sample: finish (which may move images) outside the mutex; no
  // other job touches this slot any more.
  slot.state = State::kFinishing;
  lock.unlock();
  Batch batch = slot.builder.finish();
  lock.lock();
  slot.done = std::move(batch);
  slot.state = State::kDone;
  done_cv_.notify_all();
}

bool Loader::Pipeline::next(Batch& out) {
  std::exception_ptr fatal;
  {
    std::unique_lock lock(mutex_);
    if (deliver_ >= order_->num_batches()) return false;
    if (!running_) {
      running_ = true;
      work_cv_.notify_all();
    }
    Slot& slot = slot_of(deliver_);
    done_cv_.wait(lock, [&] { return slot.state == State::kDone && slot.step == deliver_; });
    out = std::move(slot.done);
    fatal = std::exchange(slot.fatal, nullptr);
    slot.done = Batch();
    slot.state = State::kFree;
    ++deliver_;
  }
  work_cv_.notify_all();
  if (fatal) std::rethrow_exception(fatal);
  return true;
}

void Loader::Pipeline::reset(std::shared_ptr<const Order> order, uint64_t position) {
  {
    std::unique_lock lock(mutex_);
    paused_ = true;
    done_cv_.wait(lock, [&] { return active_ == 0; });
    for (Slot& slot : slots_) slot = Slot();
    order_ = std::move(order);
    deliver_ = admit_ = position;
    paused_ = false;
  }
  work_cv_.notify_all();
}

void Loader::Pipeline::record_errors(const std::vector<SampleError>& failures, size_t max_reports) {
  std::lock_guard lock(mutex_);
  error_count_ += failures.size();
  for (const SampleError& failure : failures) {
    if (errors_.size() < max_reports) errors_.push_back(failure);
  }
}

uint64_t Loader::Pipeline::error_count() {
  std::lock_guard lock(mutex_);
  return error_count_;
}

std::vector<SampleError> Loader::Pipeline::errors() {
  std::lock_guard lock(mutex_);
  return errors_;
}

// ---------------------------------------------------------------------------

namespace {

// The shapes of every sample, read by `threads` threads (describe() may build
// a text per sample).
std::shared_ptr<const GroupShapes> read_shapes(const SampleProducer& producer, int threads) {
  auto shapes = std::make_shared<GroupShapes>(producer.num_groups());
  for (size_t g = 0; g < shapes->size(); ++g) {
    std::vector<SampleShape>& group = (*shapes)[g];
    group.resize(producer.group_size(g));
    const size_t n = group.size();
    const size_t count =
        std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), std::max<size_t>(n / 256, 1));
    std::vector<std::thread> pool;
    for (size_t t = 0; t < count; ++t) {
      pool.emplace_back([&, t] {
        for (size_t i = n * t / count; i < n * (t + 1) / count; ++i) {
          try {
            group[i] = producer.sample_shape(g, i);
          } catch (...) {
            group[i] = {};  // fails again, and is reported, when its batch is built
          }
        }
      });
    }
    for (std::thread& thread : pool) thread.join();
  }
  return shapes;
}

}  // namespace

SampleShape SampleProducer::sample_shape(size_t group, uint64_t index) const {
  try {
    SampleInfo info;
    info.index = index;
    describe(group, 0, index, info);
    return {info.num_images, info.text.size()};
  } catch (...) {
    return {};
  }
}

Loader::Loader(std::shared_ptr<const SampleProducer> producer, const LoaderOptions& options)
    : producer_(std::move(producer)), options_(options) {
  if (producer_ == nullptr) fail_invalid("the loader needs a sample producer");
  threads_ = options.threads > 0 ? options.threads
                                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int prefetch = options.prefetch > 0 ? options.prefetch : 2 * threads_;
  group_sizes_.resize(producer_->num_groups());
  for (size_t g = 0; g < group_sizes_.size(); ++g) group_sizes_[g] = producer_->group_size(g);
  if (options_.order.batching != Batching::kReference) shapes_ = read_shapes(*producer_, threads_);
  order_ = make_order(options_.order);
  pipeline_ = std::make_unique<Pipeline>(producer_, threads_, prefetch, order_, 0);
}

Loader::~Loader() = default;

std::shared_ptr<const Order> Loader::make_order(const OrderOptions& options, Segment segment) const {
  return std::make_shared<const Order>(group_sizes_, options, shapes_, std::move(segment));
}

bool Loader::next(Batch& out) {
  bool more;
  try {
    more = pipeline_->next(out);
  } catch (...) {
    ++position_;  // the pipeline moved past the batch that failed
    throw;
  }
  if (!more) return false;
  ++position_;
  if (out.errors.empty()) return true;
  pipeline_->record_errors(out.errors, options_.max_error_reports);
  if (options_.on_error == OnError::kRaise) throw sample_error(*producer_, out.errors.front());
  return true;
}

void Loader::restart(std::shared_ptr<const Order> order, uint64_t position) {
  if (position > order->num_batches()) {
    fail_invalid("position {} is past the end of epoch {} ({} batches)", position, order->options().epoch,
                 order->num_batches());
  }
  pipeline_->reset(order, position);
  order_ = std::move(order);
  position_ = position;
}

void Loader::set_epoch(uint64_t epoch) {
  OrderOptions options = options_.order;
  options.seed = order_->options().seed;
  options.epoch = epoch;
  restart(make_order(options), 0);
}

void Loader::load_state(const LoaderState& state) {
  // The order the state counts steps of: this loader's, or the one of the
  // world size and batch size it was saved with.
  OrderOptions saved = options_.order;
  saved.seed = state.seed;
  saved.epoch = state.epoch;
  if (state.world_size != 0) {
    saved.world_size = state.world_size;
    saved.batch_size = state.batch_size;
  }
  const bool same =
      saved.world_size == options_.order.world_size && saved.batch_size == options_.order.batch_size;
  if (!same) saved.rank = 0;  // only its global counts are used
  const bool reuse = same && saved.seed == order_->options().seed && saved.epoch == order_->options().epoch &&
                     state.segment.fresh() && order_->segment().fresh();
  std::shared_ptr<const Order> order = reuse ? order_ : make_order(saved, state.segment);
  if (state.fingerprint != 0 && state.fingerprint != order->fingerprint()) {
    fail_invalid(
        "the loader state was saved with another configuration (group sizes, {}"
        "drop_last, sampling or batching differ)",
        state.world_size == 0 ? "batch size, world size, " : "");
  }
  if (state.position > order->num_batches()) {
    fail_invalid("position {} is past the end of epoch {} ({} batches)", state.position, state.epoch,
                 order->num_batches());
  }
  if (same) return restart(std::move(order), state.position);
  // Elastic: the rest of the epoch's plan, dealt to this loader's ranks.
  OrderOptions mine = options_.order;
  mine.seed = state.seed;
  mine.epoch = state.epoch;
  restart(make_order(mine, order->continuation(state.position)), 0);
}

LoaderState Loader::state() const {
  const OrderOptions& o = order_->options();
  return {o.seed, o.epoch, position_, order_->fingerprint(), o.world_size, o.batch_size, order_->segment()};
}

uint64_t Loader::error_count() const { return pipeline_->error_count(); }

std::vector<SampleError> Loader::errors() const { return pipeline_->errors(); }

}  // namespace mimicit::loader
