// The viewer's HTML pages, rendered on the server. Every piece of dataset
// text (ids, names, paths, instructions, answers, prompts, error messages)
// passes through append_html or url_component; pages load no inline script
// or style (the Content-Security-Policy forbids them): /static/app.js reads
// what it needs from data-* attributes and fills the pages that are drawn
// on the client (browse, search, statistics, validation) with textContent.
//
// Thread-safety: pure functions of their (immutable) arguments.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mimicit/prompt.h"
#include "server/catalog.h"
#include "server/sample_view.h"

namespace mimicit::server {

// A finding shown on a sample's page (from validation).
struct SampleFinding {
  std::string kind;
  std::string image_id;
  bool image_stored = false;  // a store holds image_id (it is linked)
  std::string detail;
};

// The findings about one sample, and the state of validation: "done",
// "running", "failed" or "disabled" (only "done" has a list).
struct SampleFindings {
  std::string state;
  std::vector<SampleFinding> list;
};

std::string index_page(const Catalog& catalog);
std::string sample_page(const Catalog& catalog, const GroupView& group, const SampleView& view,
                        dataset::InstructionFormat format, const SampleFindings& findings);
// A page whose content app.js draws: `page` names it (data-page), `data`
// adds data-* attributes (names are fixed strings; values are escaped).
std::string client_page(std::string_view title, std::string_view page,
                        const std::vector<std::pair<std::string, std::string>>& data, std::string_view intro);
std::string error_page(int status, std::string_view message);

}  // namespace mimicit::server
