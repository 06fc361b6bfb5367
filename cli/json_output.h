// --json: every command's result as one JSON document on standard output, all of one versioned
// schema (docs/json.md, schema/nsplan-output.schema.json). Logs stay on standard error.
//
// With --json, what a command would print on standard error is still printed there, but also
// kept: a command that ends without a document of its own (an invalid profile, a failure on the
// system) gets an "error" document made from it (finish()).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "applier/executor.h"
#include "compiler/diagnostics.h"

namespace nsplan::cli::json_output {

// The version of the output schema: it changes when a field is removed or changes meaning, not
// when one is added (docs/json.md).
constexpr int kVersion = 1;

using Json = nlohmann::ordered_json;

// Called once, after the command line is parsed, when the command has --json: from then on
// standard error is also kept (see above).
void enable();
bool enabled();

// {"nsplan_json": 1, "kind": KIND}: the start of every document.
Json document(const char* kind);
// DOC_TEXT (a document of its own: the plan, the status) with the start of every document put
// before its fields.
Json document(const char* kind, const std::string& doc_text);
// Prints DOC on standard output (indented, invalid UTF-8 replaced, never throwing) and notes
// that the command has its document.
void print(const Json& doc);

// Each diagnostic as compiler/json_emitter.h's diagnostic_json makes it.
Json diagnostics(const Diagnostics& diags, const SourceManager& sm);
// Diagnostics of a profile that did not compile, for the "error" document of finish().
void keep_diagnostics(const Diagnostics& diags, const SourceManager& sm);

// A change apply or destroy made: action, object, path/link/netns, before, after, from, text.
Json change(const applier::Change& c);
Json changes(const std::vector<applier::Change>& list);

// After the command, with its exit status: when --json is on and the command printed no
// document, an "error" document (the errors it printed, the diagnostics kept); standard error
// gets what was kept. Returns STATUS.
int finish(int status);

}  // namespace nsplan::cli::json_output
