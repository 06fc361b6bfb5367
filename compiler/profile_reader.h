// Reads a merged YAML tree into the typed Profile, as the table in schema/fields.cc directs:
// unknown keys (with a did-you-mean hint), wrong types, bad units and out-of-range values are
// reported at the value, all of them, not only the first.
#pragma once
#include <string_view>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/yaml_tree.h"
#include "schema/model.h"

namespace nsplan {

Profile read_profile(const YamlNode& root, Diagnostics& diags);

// The closest candidate within a small edit distance, or "" (for did-you-mean hints).
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace nsplan
