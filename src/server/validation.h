// ValidationJob: mimicit validate (validate::validate_data) run in the
// background after start-up, and its findings as the viewer shows them:
// a filtered, paged list (/api/validation) with each problem marked
// "linked" when its instruction id has a record in its group (the page
// links it to /sample/ID) and "image_stored" when a store holds its image
// id; and per sample, the problems about that record or its images. The
// problems' other members and the summary are written by
// validate/report_json.h: `mimicit validate --json`'s, by construction.
//
// validate_data cannot be interrupted. stop() waits a moment for it and
// otherwise leaves the thread to finish on its own (it only reads files and
// writes into a state object the thread shares), so that Ctrl-C never
// waits for a validation of a large dataset.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/validate.h"
#include "server/catalog.h"
#include "server/pages.h"

namespace mimicit::server {

class ValidationJob {
 public:
  // enabled = false: the job stays "disabled".
  ValidationJob(std::shared_ptr<const Catalog> catalog, validate::Options options, bool enabled);
  ~ValidationJob();
  ValidationJob(const ValidationJob&) = delete;
  ValidationJob& operator=(const ValidationJob&) = delete;

  void start();
  void stop();
  // "disabled", "idle" (not started), "running", "done" or "failed".
  std::string state() const;

  // /api/validation: problems of `kind` (all when nullopt), [offset,
  // offset + limit) of them.
  std::string json(std::optional<validate::Kind> kind, uint64_t offset, uint64_t limit) const;
  // The problems about record `id` of `group`, or about one of `image_ids`
  // in that group (at most `max` of them, report order).
  std::vector<SampleFinding> findings(dataset::Group group, std::string_view id,
                                      const std::vector<std::string>& image_ids, size_t max) const;

  struct State;

 private:
  std::shared_ptr<const Catalog> catalog_;
  validate::Options options_;
  bool enabled_;
  std::shared_ptr<State> state_;
};

}  // namespace mimicit::server
