#include "dataset/yaml_expansion.h"

#include <sstream>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "mimicit/error.h"

namespace mimicit::dataset {

namespace {

struct Size {
  uint64_t values = 0;
  uint64_t bytes = 0;
};

// Keeps the running size of the expanded document; an anchored node's size
// is the growth between its start and its end, and an alias adds it again.
// The running size never passes the limits (it throws first), so no sum
// can overflow.
class ExpansionCounter final : public YAML::EventHandler {
 public:
  explicit ExpansionCounter(const DataConfigOptions& options) : options_(options) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, 0); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, value.size());
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchored_.find(anchor);
    if (it == anchored_.end()) {
      fail(ErrorCode::kLimit, "line {}: an alias inside the node of its own anchor expands without end",
           mark.line + 1);
    }
    add(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnSequenceEnd() override { end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnMapEnd() override { end(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    Size at_start;
  };

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, uint64_t bytes) {
    add(mark, {1, bytes});
    if (anchor != YAML::NullAnchor) anchored_[anchor] = {1, bytes};
  }
  void start(const YAML::Mark& mark, YAML::anchor_t anchor) {
    open_.push_back({anchor, total_});
    add(mark, {1, 0});
  }
  void end() {
    const Open open = open_.back();
    open_.pop_back();
    if (open.anchor != YAML::NullAnchor) {
      anchored_[open.anchor] = {total_.values - open.at_start.values, total_.bytes - open.at_start.bytes};
    }
  }
  void add(const YAML::Mark& mark, Size size) {
    if (size.values > options_.max_expanded_nodes - total_.values) {
      fail(ErrorCode::kLimit,
           "line {}: the document expands to more than {} values (an alias counts at every use)",
           mark.line + 1, options_.max_expanded_nodes);
    }
    if (size.bytes > options_.max_expanded_bytes - total_.bytes) {
      fail(ErrorCode::kLimit,
           "line {}: the document expands to more than {} bytes of text (an alias counts at every use)",
           mark.line + 1, options_.max_expanded_bytes);
    }
    total_.values += size.values;
    total_.bytes += size.bytes;
  }

  const DataConfigOptions& options_;
  Size total_;
  std::vector<Open> open_;
  // Anchors whose node has ended (a redefined anchor gets a new id).
  std::unordered_map<YAML::anchor_t, Size> anchored_;
};

}  // namespace

void check_yaml_expansion(const std::string& yaml, const DataConfigOptions& options) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  ExpansionCounter counter(options);
  parser.HandleNextDocument(counter);
}

}  // namespace mimicit::dataset
