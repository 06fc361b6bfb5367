#include "cli/command_model.h"

#include <CLI/CLI.hpp>

namespace nsplan::cli {
namespace {

// CLI11 shows a value as its type name followed by each check's description: "DIR",
// "TEXT:{v1,v2}" (a set of choices), "PID:POSITIVE". The choices stand for the value; of the
// rest, the type name says what it is.
void read_value(const CLI::Option& opt, std::string& value, std::vector<std::string>& choices) {
  std::string type = opt.get_type_name();
  size_t colon = type.find(':');
  if (colon == std::string::npos) {
    value = type;
    return;
  }
  std::string check = type.substr(colon + 1);
  value = type.substr(0, colon);
  if (check.size() < 2 || check.front() != '{' || check.back() != '}') return;
  value.clear();
  std::string list = check.substr(1, check.size() - 2);
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    std::string choice = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    choices.push_back(choice);
    value += (value.empty() ? "" : "|") + choice;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

OptionInfo option_info(const CLI::Option& opt, const CLI::App& owner) {
  OptionInfo o;
  for (const auto& s : opt.get_snames()) o.names.push_back("-" + s);
  for (const auto& l : opt.get_lnames()) o.names.push_back("--" + l);
  if (opt.get_type_size_max() > 0) read_value(opt, o.value, o.choices);
  o.description = opt.get_description();
  o.repeatable = opt.get_items_expected_max() > 1;
  o.is_help = &opt == owner.get_help_ptr();
  return o;
}

ArgumentInfo argument_info(const CLI::Option& opt) {
  ArgumentInfo a;
  read_value(opt, a.value, a.choices);
  a.description = opt.get_description();
  a.required = opt.get_required();
  a.repeated = opt.get_items_expected_max() > 1;
  return a;
}

}  // namespace

std::vector<std::string> options_taking_values(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options())
    if (o->get_items_expected_max() != 0) names.push_back(o->get_name());
  return names;
}

std::string OptionInfo::long_name() const {
  for (const auto& n : names)
    if (n.starts_with("--")) return n;
  return names.empty() ? std::string() : names.front();
}

CommandLine describe(const CLI::App& app) {
  CommandLine cl;
  cl.description = app.get_description();
  for (const CLI::Option* opt : app.get_options()) cl.options.push_back(option_info(*opt, app));
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    CommandInfo c;
    c.name = sub->get_name();
    c.description = sub->get_description();
    c.footer = sub->get_footer();
    for (const CLI::Option* opt : sub->get_options()) {
      if (opt->get_positional()) c.arguments.push_back(argument_info(*opt));
      else c.options.push_back(option_info(*opt, *sub));
    }
    cl.commands.push_back(std::move(c));
  }
  return cl;
}

}  // namespace nsplan::cli
