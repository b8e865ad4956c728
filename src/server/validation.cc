#include "server/validation.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "mimicit/error.h"
#include "util/json_writer.h"
#include "validate/report_json.h"

namespace mimicit::server {

// Shared by the job and its thread, which may outlive the job (see the
// header).
struct ValidationJob::State {
  mutable std::mutex mutex;
  std::condition_variable finished;
  enum class Phase { kIdle, kRunning, kDone, kFailed } phase = Phase::kIdle;
  std::string error;
  validate::Report report;
  // Positions in report.problems, by instruction id and by image id.
  std::unordered_map<std::string, std::vector<size_t>> by_id;
  std::unordered_map<std::string, std::vector<size_t>> by_image;
  std::thread thread;
};

namespace {

const char* phase_name(ValidationJob::State& state) {
  using Phase = ValidationJob::State::Phase;
  switch (state.phase) {
    case Phase::kIdle: return "idle";
    case Phase::kRunning: return "running";
    case Phase::kDone: return "done";
    case Phase::kFailed: return "failed";
  }
  return "idle";
}

bool has_record(const Catalog& catalog, const validate::Problem& p) {
  if (p.id.empty()) return false;
  const std::optional<dataset::Group> group = dataset::parse_group(p.group);
  const GroupView* view = group ? catalog.find(*group) : nullptr;
  return view != nullptr && view->data && view->data->find_record(p.id);
}

}  // namespace

ValidationJob::ValidationJob(std::shared_ptr<const Catalog> catalog, validate::Options options, bool enabled)
    : catalog_(std::move(catalog)),
      options_(std::move(options)),
      enabled_(enabled),
      state_(std::make_shared<State>()) {}

ValidationJob::~ValidationJob() { stop(); }

void ValidationJob::start() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->phase != State::Phase::kIdle) return;
  state_->phase = State::Phase::kRunning;
  // The thread owns copies of what it needs: it may outlive this job.
  state_->thread = std::thread([state = state_, yaml = catalog_->yaml_path(), options = options_] {
    validate::Report report;
    std::string error;
    try {
      report = validate::validate_data(yaml, options);
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::unordered_map<std::string, std::vector<size_t>> by_id, by_image;
    for (size_t i = 0; i < report.problems.size(); ++i) {
      const validate::Problem& p = report.problems[i];
      if (!p.id.empty()) by_id[p.id].push_back(i);
      if (!p.image_id.empty()) by_image[p.image_id].push_back(i);
    }
    std::lock_guard<std::mutex> lock(state->mutex);
    state->report = std::move(report);
    state->by_id = std::move(by_id);
    state->by_image = std::move(by_image);
    state->error = std::move(error);
    state->phase = state->error.empty() ? State::Phase::kDone : State::Phase::kFailed;
    state->finished.notify_all();
  });
}

void ValidationJob::stop() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (!state_->thread.joinable()) return;
  const bool finished = state_->finished.wait_for(lock, std::chrono::milliseconds(200),
                                                  [&] { return state_->phase != State::Phase::kRunning; });
  std::thread thread = std::move(state_->thread);
  lock.unlock();
  if (finished) {
    thread.join();
  } else {
    thread.detach();
  }
}

std::string ValidationJob::state() const {
  if (!enabled_) return "disabled";
  std::lock_guard<std::mutex> lock(state_->mutex);
  return phase_name(*state_);
}

std::string ValidationJob::json(std::optional<validate::Kind> kind, uint64_t offset, uint64_t limit) const {
  JsonWriter json;
  json.begin_object();
  std::lock_guard<std::mutex> lock(state_->mutex);
  json.key("state").value(enabled_ ? phase_name(*state_) : "disabled");
  json.key("error").value(state_->error);
  json.key("kind").value(kind ? validate::kind_name(*kind) : "");
  json.key("offset").value(offset).key("limit").value(limit);
  if (state_->phase != State::Phase::kDone) {
    json.key("total").value(uint64_t{0}).key("problems").begin_array().end_array().end_object();
    return json.take();
  }
  const validate::Report& report = state_->report;
  json.key("summary");
  validate::write_summary(json, report.summary);
  uint64_t total = 0;
  json.key("problems").begin_array();
  for (const validate::Problem& p : report.problems) {
    if (kind && p.kind != *kind) continue;
    if (total++ < offset || total > offset + limit) continue;
    json.begin_object();
    validate::write_problem_members(json, p);
    json.key("linked").value(has_record(*catalog_, p));
    json.key("image_stored").value(!p.image_id.empty() && catalog_->has_image(p.image_id));
    json.end_object();
  }
  json.end_array().key("total").value(total).end_object();
  return json.take();
}

std::vector<SampleFinding> ValidationJob::findings(dataset::Group group, std::string_view id,
                                                   const std::vector<std::string>& image_ids,
                                                   size_t max) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->phase != State::Phase::kDone) return {};
  const std::string name = dataset::group_name(group);
  std::vector<size_t> hits;
  if (auto it = state_->by_id.find(std::string(id)); it != state_->by_id.end()) {
    for (size_t i : it->second) {
      if (state_->report.problems[i].group == name) hits.push_back(i);
    }
  }
  std::unordered_set<std::string_view> seen;
  for (const std::string& image : image_ids) {
    if (!seen.insert(image).second) continue;
    if (auto it = state_->by_image.find(image); it != state_->by_image.end()) {
      for (size_t i : it->second) {
        if (state_->report.problems[i].group == name) hits.push_back(i);
      }
    }
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  std::vector<SampleFinding> out;
  for (size_t i = 0; i < hits.size() && out.size() < max; ++i) {
    const validate::Problem& p = state_->report.problems[hits[i]];
    out.push_back({validate::kind_name(p.kind), p.image_id,
                   !p.image_id.empty() && catalog_->has_image(p.image_id), p.detail});
  }
  return out;
}

}  // namespace mimicit::server
