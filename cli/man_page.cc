#include "cli/man_page.h"

#include "cli/value_names.h"
#include "schema/profile_search_path.h"
#include "schema/roff.h"

namespace nsplan::cli {
namespace {

std::string bold(const std::string& s) { return "\\fB" + roff::word(s) + "\\fR"; }
std::string italic(const std::string& s) { return "\\fI" + roff::word(s) + "\\fR"; }

// CLI11's descriptions are phrases; a man page reads them as sentences.
std::string sentence(const std::string& s) { return roff::text(s) + (s.ends_with('.') ? "" : "."); }

// "PROFILE", "[COMMAND ...]"; a command to start comes after "--", so that its own options are
// not taken for nsplan's.
std::string argument_usage(const ArgumentInfo& a) {
  std::string s = italic(a.value) + (a.repeated ? " ..." : "");
  if (a.value == value_name::kCommand) s = bold("--") + " " + s;
  return a.required ? s : "[" + s + "]";
}

std::string usage(const CommandInfo& c) {
  std::string s = bold("nsplan " + c.name);
  bool has_options = false;
  for (const auto& o : c.options) has_options = has_options || !o.is_help;
  if (has_options) s += " [" + italic("OPTIONS") + "]";
  for (const auto& a : c.arguments) s += " " + argument_usage(a);
  return s;
}

std::string option_paragraph(const OptionInfo& o) {
  std::string tag;
  for (const auto& n : o.names) tag += (tag.empty() ? "" : ", ") + bold(n);
  if (!o.value.empty()) tag += " " + italic(o.value);
  return ".TP\n" + tag + "\n" + sentence(o.description) + "\n";
}

}  // namespace

std::string man_page_synopsis(const CommandLine& cl) {
  std::string out = ".nf\n";
  for (const auto& c : cl.commands) out += usage(c) + "\n";
  std::string top;
  for (const auto& o : cl.options) top += (top.empty() ? "" : " | ") + bold(o.long_name());
  out += bold("nsplan") + " " + top + "\n.fi\n";
  return out;
}

std::string man_page_options(const CommandLine& cl) {
  std::string out;
  for (const auto& o : cl.options) out += option_paragraph(o);
  return out;
}

std::string man_page_commands(const CommandLine& cl) {
  std::string out;
  for (const auto& c : cl.commands) {
    out += ".SS " + roff::word(c.name) + "\n" + usage(c) + "\n.PP\n" + sentence(c.description) + "\n";
    if (!c.footer.empty()) out += roff::text(c.footer) + "\n";
    for (const auto& a : c.arguments)
      out += ".TP\n" + italic(a.value) + (a.repeated ? " ..." : "") + "\n" + sentence(a.description) + "\n";
    for (const auto& o : c.options)
      if (!o.is_help) out += option_paragraph(o);
  }
  return out;
}

std::string man_page_search_path() {
  std::string out;
  for (const char* dir : kProfileSearchPath) out += ".TQ\n.I " + roff::word(dir) + "\n";
  return ".TP\n" + out.substr(4);  // the first directory opens the paragraph, the others join it (.TQ)
}

}  // namespace nsplan::cli
