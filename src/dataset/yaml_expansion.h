// The "billion laughs" guard of the data YAML.
//
// yaml-cpp shares an anchored node among its aliases, so the tree it builds
// is as small as the text; but everything that walks the tree (DataConfig,
// validate's per-dataset checks) visits an aliased node once per use, and
// anchors of lists of aliases of anchors multiply: a few hundred bytes can
// stand for gigabytes. check_yaml_expansion() streams the first document's
// parse events once and adds up what the document would be with every
// alias replaced by its anchor's node, in time linear in the text.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "mimicit/dataset.h"

namespace mimicit::dataset {

// Throws Error(kLimit) naming the line where the expanded document passes
// options.max_expanded_nodes values (nodes: scalars, nulls, lists,
// mappings) or options.max_expanded_bytes bytes of scalars, or where an
// alias refers to a node that contains it (a cycle: no finite expansion).
// YAML syntax errors come out as YAML::Exception, as from YAML::Load.
void check_yaml_expansion(const std::string& yaml, const DataConfigOptions& options);

}  // namespace mimicit::dataset
