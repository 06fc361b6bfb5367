// Exports of the field table: a JSON Schema (draft 2020-12) for editors and CI, the Markdown
// reference in docs/reference.md and the nsplan-profile(5) man page. All walk schema/fields.cc,
// so they cannot disagree with the reader.
#pragma once
#include <string>

namespace nsplan::schema {

std::string json_schema();
std::string markdown_reference();
std::string man_reference();  // nsplan-profile(5), roff

}  // namespace nsplan::schema
