#include "compiler/saved_plan.h"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

namespace nsplan {
namespace {

using Json = nlohmann::ordered_json;

// The members of a saved plan, each of the type it must have.
struct Reader {
  const Json& doc;
  std::string& error;

  const Json* member(const char* name, Json::value_t type) {
    if (!error.empty()) return nullptr;
    auto it = doc.find(name);
    if (it == doc.end()) {
      error = std::string("no \"") + name + "\"";
      return nullptr;
    }
    if (it->type() != type && !(type == Json::value_t::number_unsigned && it->is_number_integer())) {
      error = std::string("\"") + name + "\" is a " + it->type_name() + ", not a " + Json(type).type_name();
      return nullptr;
    }
    return &*it;
  }
  std::string string(const char* name) {
    const Json* j = member(name, Json::value_t::string);
    return j ? j->get<std::string>() : std::string();
  }
  std::vector<std::string> strings(const Json& list, const char* name) {
    std::vector<std::string> out;
    for (const auto& item : list) {
      if (!item.is_string()) {
        error = std::string("\"") + name + "\" holds a " + item.type_name() + ", not only strings";
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
};

}  // namespace

std::string saved_plan_text(const SavedPlan& saved) {
  Json doc;
  doc["nsplan_json"] = 1;
  doc["kind"] = "saved_plan";
  doc["saved_plan_version"] = kSavedPlanVersion;
  doc["profile"] = saved.profile;
  doc["source"] = saved.source;
  doc["applied_from"] = saved.applied_from;
  doc["target"] = saved.target;
  doc["cgroup_root"] = saved.cgroup_root;
  doc["cgroup_parent"] = saved.cgroup_parent;
  doc["state_dir"] = saved.state_dir;
  doc["strict"] = saved.strict;
  doc["profile_path"] = saved.profile_path;
  Json changes = Json::array();
  for (const auto& c : saved.changes) changes.push_back({{"change", c.text}, {"from", c.where}});
  doc["changes"] = changes;
  doc["removals"] = saved.removals;
  doc["plan"] = Json::parse(saved.plan_json);
  Json sources = Json::array();
  for (const auto& s : saved.sources) sources.push_back({{"path", s.path}, {"text", s.text}});
  doc["sources"] = sources;
  // Strings come from files and the kernel: invalid UTF-8 is replaced, never thrown on.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool looks_like_saved_plan(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') return false;
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() && doc.value("kind", Json()) == "saved_plan";
}

std::optional<SavedPlan> parse_saved_plan(const std::string& text, std::string& error) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  Reader r{doc, error};
  if (r.string("kind") != "saved_plan" && error.empty()) error = "\"kind\" is not \"saved_plan\"";
  if (const Json* v = r.member("saved_plan_version", Json::value_t::number_unsigned); v && *v != kSavedPlanVersion)
    error = "saved by another nsplan: version " + v->dump() + ", this one reads " + std::to_string(kSavedPlanVersion);
  SavedPlan s;
  s.profile = r.string("profile");
  s.source = r.string("source");
  s.applied_from = r.string("applied_from");
  s.target = r.string("target");
  s.cgroup_root = r.string("cgroup_root");
  s.cgroup_parent = r.string("cgroup_parent");
  s.state_dir = r.string("state_dir");
  if (const Json* v = r.member("strict", Json::value_t::boolean)) s.strict = v->get<bool>();
  if (const Json* v = r.member("profile_path", Json::value_t::array)) s.profile_path = r.strings(*v, "profile_path");
  if (const Json* v = r.member("removals", Json::value_t::array)) s.removals = r.strings(*v, "removals");
  if (const Json* v = r.member("changes", Json::value_t::array)) {
    for (const auto& c : *v) {
      if (!c.is_object() || !c.contains("change") || !c["change"].is_string() || !c.contains("from") || !c["from"].is_string()) {
        error = "\"changes\" holds an entry without the strings \"change\" and \"from\"";
        break;
      }
      s.changes.push_back({c["change"].get<std::string>(), c["from"].get<std::string>()});
    }
  }
  if (const Json* v = r.member("plan", Json::value_t::object)) s.plan_json = v->dump();
  if (const Json* v = r.member("sources", Json::value_t::array)) {
    for (const auto& f : *v) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("text") || !f["text"].is_string()) {
        error = "\"sources\" holds an entry without the strings \"path\" and \"text\"";
        break;
      }
      s.sources.push_back({f["path"].get<std::string>(), f["text"].get<std::string>()});
    }
    if (error.empty() && s.sources.empty()) error = "\"sources\" is empty";
  }
  if (error.empty() && !s.sources.empty() && s.sources.front().path != s.source)
    error = "the first of \"sources\" is not \"source\"";
  if (!error.empty()) return std::nullopt;
  return s;
}

FileReader saved_sources_reader(const SavedPlan& saved) {
  auto files = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& s : saved.sources) files->emplace(s.path, s.text);
  return [files](const FileRequest& request) {
    FileContent c;
    auto it = files->find(request.path);
    if (it == files->end()) {
      c.missing = true;
      c.error = "not among the files the saved plan holds";
      return c;
    }
    c.ok = true;
    c.text = it->second;
    c.identity = "saved:" + request.path;
    return c;
  };
}

}  // namespace nsplan
