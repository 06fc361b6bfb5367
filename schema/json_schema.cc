#include "schema/profile_search_path.h"
#include "schema/json_schema.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "schema/field_text.h"
#include "schema/table.h"

namespace nsplan::schema {
namespace {

using json = nlohmann::ordered_json;

std::string def_name(std::string_view object_name) {
  std::string out;
  for (char c : object_name) out += c == ' ' ? '_' : c;
  return out;
}

json bytes_json() {
  return json{{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 0}},
                                     json{{"type", "string"}, {"pattern", "^([0-9]+(\\.[0-9]+)?[KMGTPkmgtp]?|max)$"}}})}};
}

json leaf_json(const TypeSpec& t) {
  switch (t.kind) {
    case Kind::String: return {{"type", "string"}};
    case Kind::Name: return {{"type", "string"}, {"pattern", "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"}};
    case Kind::IfName: return {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$"}};
    case Kind::Mac: return {{"type", "string"}, {"pattern", "^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"}};
    case Kind::CgroupPath: return {{"type", "string"}, {"pattern", "^[A-Za-z0-9_@:+][A-Za-z0-9_.@:+-]*(/[A-Za-z0-9_@:+.][A-Za-z0-9_.@:+-]*)*$"}};
    case Kind::AbsPath: return {{"type", "string"}, {"pattern", "^/"}};
    case Kind::Hostname: return {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$"}, {"maxLength", 64}};
    case Kind::Octal: return {{"type", "string"}, {"pattern", "^[0-7]{3,4}$"}};
    case Kind::Account:
      return {{"type", "string"}, {"pattern", "^([A-Za-z_][A-Za-z0-9_.-]{0,31}|[0-9]{1,10})$"}};
    case Kind::Device: return {{"type", "string"}, {"pattern", "^([0-9]+:[0-9]+|/dev/.+)$"}};
    case Kind::Bool: return {{"type", "boolean"}};
    case Kind::UInt:
    case Kind::Int: return {{"type", "integer"}, {"minimum", t.min}, {"maximum", t.max}};
    case Kind::Bytes: return bytes_json();
    case Kind::MemoryLimit:
      return {{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 0}},
                                     json{{"type", "string"}, {"pattern", "^([0-9]+(\\.[0-9]+)?[KMGTPkmgtp]?|[0-9]{1,3}(\\.[0-9]{1,2})?%|max)$"}}})}};
    case Kind::Percent:
      return {{"oneOf", json::array({json{{"type", "number"}, {"minimum", 0}, {"maximum", 100}},
                                     json{{"type", "string"}, {"pattern", "^([0-9]{1,3}(\\.[0-9]{1,2})?%?|max)$"}}})}};
    case Kind::Count:
      return {{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 0}}, json{{"const", "max"}}})}};
    case Kind::CpuMax:
      return {{"oneOf", json::array({json{{"type", "number"}, {"exclusiveMinimum", 0}},
                                     json{{"type", "string"}, {"pattern", "^([0-9]+(\\.[0-9]+)?%?|[0-9]+/[0-9]+|max)$"}}})}};
    case Kind::CpuList:
      return {{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 0}},
                                     json{{"type", "string"}, {"pattern", "^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$"}}})}};
    case Kind::Cidr: return {{"type", "string"}, {"pattern", "^[0-9A-Fa-f.:]+/[0-9]{1,3}$"}};
    case Kind::IpAddress: return {{"type", "string"}, {"pattern", "^[0-9A-Fa-f.:]+$"}};
    case Kind::Route: return {{"type", "string"}, {"pattern", "^(default|[0-9A-Fa-f.:]+/[0-9]{1,3})$"}};
    case Kind::Enum: {
      json e = json::array();
      for (auto c : t.choices) e.push_back(std::string(c));
      return {{"enum", e}};
    }
    case Kind::IdMap: {
      json line = {{"type", "string"}, {"pattern", "^[0-9]+\\s+[0-9]+\\s+[0-9]+$"}};
      json range = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", json::array({"inside", "outside", "count"})},
                    {"properties", {{"inside", {{"type", "integer"}, {"minimum", 0}}},
                                    {"outside", {{"type", "integer"}, {"minimum", 0}}},
                                    {"count", {{"type", "integer"}, {"minimum", 1}}}}}};
      return {{"oneOf", json::array({line, json{{"type", "array"}, {"items", json{{"oneOf", json::array({line, range})}}}}})}};
    }
    case Kind::Rlimit: {
      json value = {{"oneOf", json::array({json{{"type", "integer"}, {"minimum", 0}},
                                           json{{"type", "string"}, {"pattern", "^([0-9]+[KMGTPkmgtp]?|unlimited|infinity)$"}}})}};
      json pair = {{"type", "object"}, {"additionalProperties", false}, {"required", json::array({"soft", "hard"})},
                   {"properties", {{"soft", value}, {"hard", value}}}};
      return {{"oneOf", json::array({value, pair})}};
    }
    case Kind::StringMap:
      return {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
    case Kind::Object: return {};
  }
  return {};
}

class Exporter {
 public:
  json object_json(const ObjectSpec& spec) {
    json props = json::object();
    json required = json::array();
    for (const auto& f : spec.fields) {
      json p;
      if (f.type.kind == Kind::Object) {
        const ObjectSpec* nested = f.nested();
        add_def(*nested);
        json ref = {{"$ref", "#/$defs/" + def_name(nested->name)}};
        p = f.type.list ? json{{"type", "array"}, {"items", ref}} : ref;
      } else if (f.type.list) {
        TypeSpec element = f.type;
        element.list = false;
        p = {{"type", "array"}, {"items", leaf_json(element)}};
      } else {
        p = leaf_json(f.type);
      }
      p["description"] = std::string(f.doc);
      if (!f.default_text.empty()) p["x-nsplan-default"] = std::string(f.default_text);
      props[std::string(f.key)] = p;
      if (f.required) required.push_back(std::string(f.key));
    }
    json o = {{"type", "object"}, {"description", std::string(spec.doc)}, {"additionalProperties", false}, {"properties", props}};
    if (!required.empty()) o["required"] = required;
    return o;
  }

  void add_def(const ObjectSpec& spec) {
    std::string name = def_name(spec.name);
    if (done_.count(name)) return;
    done_.insert(name);
    defs_[name] = object_json(spec);
  }

  json defs() const {
    json d = json::object();
    for (const auto& [k, v] : defs_) d[k] = v;
    return d;
  }

 private:
  std::set<std::string> done_;
  std::map<std::string, json> defs_;
};

// An enum's choices are separated by '|', which a Markdown table cell must escape.
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void reference_section(const ObjectSpec& spec, const std::string& path, std::string& out) {
  out += "\n## `" + path + "`\n\n" + std::string(spec.doc) + "\n\n| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& f : spec.fields)
    out += "| `" + std::string(f.key) + "` | " + markdown_cell(type_text(f)) + " | " + default_text(f) + " | " +
           std::string(f.doc) + " |\n";
}

}  // namespace

std::string json_schema() {
  Exporter ex;
  json root = ex.object_json(profile_spec());
  json files = {{"oneOf", json::array({json{{"type", "string"}}, json{{"type", "array"}, {"items", {{"type", "string"}}}}})}};
  root["properties"]["include"] = files;
  root["properties"]["include"]["description"] = "Fragments merged in order before this file (later wins): files below this file's directory, "
      "or profile names on the profile search path.";
  root["properties"]["extends"] = {{"type", "string"}, {"description", "A base profile; this file's values win over it. A file below this file's "
                                "directory, or a profile name on the profile search path."}};
  json out;
  out["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  out["$id"] = "https://nsplan.invalid/schema/profile-v1.json";
  out["title"] = "nsplan profile, format version 1";
  for (auto& [k, v] : root.items()) out[k] = v;
  out["$defs"] = ex.defs();
  return out.dump(2) + "\n";
}

std::string markdown_reference() {
  std::string out =
      "# Profile reference (format version 1)\n\n"
      "Generated from the field table in schema/fields.cc by `nsplan schema --markdown`; a test keeps this\n"
      "file equal to that output. For a guide with examples, see profile-format.md.\n\n"
      "Top-level keys also include `extends: FILE` (a base profile) and `include: [FILES]` (fragments): a path\n"
      "below the directory of the file that names it, or a bare name of a profile on the search path\n"
      "(`" + profile_search_path_text("`, `") + "`); see profile-format.md.\n";
  for_each_section(profile_spec(), "profile",
                   [&out](const std::string& path, const ObjectSpec& spec) { reference_section(spec, path, out); });
  return out;
}

}  // namespace nsplan::schema
