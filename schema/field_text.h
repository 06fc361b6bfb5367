// How the field table is shown to people: a field's type in words, and the order in which the
// objects of a profile get their sections. The Markdown reference (docs/reference.md) and the
// nsplan-profile(5) man page both use these, so they describe the format alike.
#pragma once
#include <functional>
#include <string>

#include "schema/table.h"

namespace nsplan::schema {

// "size (K/M/G/T, max)", "list of address/prefix", "integer 1000..1000000 (µs)", "v1 | v2".
std::string type_text(const FieldSpec& field);

// The text in the default column: "required", the default, or "".
std::string default_text(const FieldSpec& field);

// Calls `section` for `spec` at `path` ("profile"), then for each nested object in field order,
// depth first, at its dotted path ("profile.cgroup.memory", "profile.net.links[]"), once each.
void for_each_section(const ObjectSpec& spec, const std::string& path,
                      const std::function<void(const std::string& path, const ObjectSpec& spec)>& section);

}  // namespace nsplan::schema
