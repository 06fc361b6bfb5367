// Exports of the field table: a JSON Schema (draft 2020-12) for editors and CI, and the
// Markdown reference in docs/reference.md. Both walk schema/fields.cc, so they cannot disagree
// with the reader.
#pragma once
#include <string>

namespace nsplan::schema {

std::string json_schema();
std::string markdown_reference();

}  // namespace nsplan::schema
