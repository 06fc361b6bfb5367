// nsplan-profile(5), made from the field table as docs/reference.md is (`nsplan schema --man`).
#include <string>

#include "schema/field_text.h"
#include "schema/json_schema.h"
#include "schema/profile_search_path.h"
#include "schema/roff.h"
#include "schema/table.h"

namespace nsplan::schema {
namespace {

// One object of the format: a subsection named by its path, its doc, then a tagged paragraph
// per key: the key, its type and default, and what it means.
void man_section(const ObjectSpec& spec, const std::string& path, std::string& out) {
  out += ".SS " + roff::word(path) + "\n" + roff::text(spec.doc) + "\n";
  for (const auto& f : spec.fields) {
    std::string def = default_text(f);
    out += ".TP\n\\fB" + roff::word(f.key) + "\\fR: " + roff::text(type_text(f)) +
           (def.empty() || f.required ? "" : "; default ") + (f.required ? "; " : "") + roff::text(def) + "\n" +
           roff::text(f.doc) + "\n";
  }
}

// "[cgroup: ...]" and so on, a line each: the objects a profile may hold.
// The default search path's directories, each a roff word, SEPARATOR between them.
std::string search_path_roff(const std::string& separator) {
  std::string out;
  for (const char* dir : kProfileSearchPath) out += (out.empty() ? "" : separator) + roff::word(dir);
  return out;
}

std::string top_level_objects() {
  std::string out;
  for (const auto& f : profile_spec().fields)
    if (f.type.kind == Kind::Object) out += "[" + roff::word(f.key) + ": ...]\n";
  return out;
}

}  // namespace

std::string man_reference() {
  std::string out =
      ".\\\" Generated from the field table in schema/fields.cc by `nsplan schema --man`.\n"
      ".TH NSPLAN-PROFILE 5 \"\" \"nsplan\" \"File Formats Manual\"\n"
      ".nh\n"
      ".SH NAME\n"
      "nsplan-profile \\- the profile format of nsplan, version " + std::to_string(kFormatVersion) + "\n"
      ".SH SYNOPSIS\n"
      ".nf\n"
      "nsplan: " + std::to_string(kFormatVersion) + "\n"
      "name: \\fINAME\\fR\n"
      "[extends: \\fIBASE\\fR]\n"
      "[include: [\\fIFRAGMENT\\fR, ...]]\n"
      + top_level_objects() + ".fi\n"
      ".SH DESCRIPTION\n"
      "A profile is a YAML file that\n"
      ".BR nsplan (1)\n"
      "compiles into a plan: a cgroup and its limits, namespaces, virtual network interfaces with\n"
      "their addresses and routes, rlimits, and the command to run.\n"
      "This page lists every key of the format, generated from the same table that nsplan reads\n"
      "profiles with; each subsection below is one object, named by its path from the top.\n"
      "A key absent from a profile leaves that setting as the kernel has it, unless a default is named.\n"
      ".PP\n"
      "Top-level keys also include \\fBextends:\\fR \\fIBASE\\fR (one base profile) and\n"
      "\\fBinclude:\\fR [\\fIFRAGMENTS\\fR] (fragments merged in order, later wins; this file last).\n"
      "Each is a path below the directory of the file that names it, or a bare name of a profile\n"
      "\\fINAME\\fR.yaml on the profile search path, by default \\fI" + search_path_roff("\\fR, \\fI") + "\\fR\n"
      "(\\fB\\-\\-profile\\-path\\fR changes it; no environment variable does).\n"
      ".SH KEYS\n";
  for_each_section(profile_spec(), "profile",
                   [&out](const std::string& path, const ObjectSpec& spec) { man_section(spec, path, out); });
  out +=
      ".SH FILES\n"
      ".TP\n"
      ".I " + search_path_roff(" ") + "\n"
      "The profile search path, in this order: profiles named by name on the command line and in\n"
      "\\fBextends:\\fR and \\fBinclude:\\fR.\n"
      ".SH SEE ALSO\n"
      ".BR nsplan (1);\n"
      "docs/profile\\-format.md and docs/reference.md in nsplan's sources;\n"
      "\\fBnsplan schema\\fR prints the format as a JSON Schema.\n";
  return out;
}

}  // namespace nsplan::schema
