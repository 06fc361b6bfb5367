#include "schema/field_text.h"

#include <set>

namespace nsplan::schema {

std::string type_text(const FieldSpec& f) {
  std::string type;
  switch (f.type.kind) {
    case Kind::String: type = "string"; break;
    case Kind::Name: type = "name"; break;
    case Kind::IfName: type = "interface name"; break;
    case Kind::Mac: type = "MAC address"; break;
    case Kind::CgroupPath: type = "cgroup path"; break;
    case Kind::AbsPath: type = "absolute path"; break;
    case Kind::Hostname: type = "host name"; break;
    case Kind::Octal: type = "octal mode"; break;
    case Kind::Account: type = "user or group name, or number"; break;
    case Kind::Device: type = "MAJ:MIN or /dev path"; break;
    case Kind::Bool: type = "bool"; break;
    case Kind::UInt:
    case Kind::Int: type = "integer " + std::to_string(f.type.min) + ".." + std::to_string(f.type.max); break;
    case Kind::Bytes: type = "size (K/M/G/T, max)"; break;
    case Kind::MemoryLimit: type = "size (K/M/G/T, max) or % of RAM"; break;
    case Kind::Percent: type = "percent (0..100, 2 decimals) or max"; break;
    case Kind::Count: type = "count or max"; break;
    case Kind::CpuMax: type = "50% / 1.5 / QUOTA/PERIOD / max"; break;
    case Kind::CpuList: type = "cpu list"; break;
    case Kind::Cidr: type = "address/prefix"; break;
    case Kind::IpAddress: type = "IP address"; break;
    case Kind::Route: type = "default or CIDR"; break;
    case Kind::Enum:
      for (auto c : f.type.choices) type += (type.empty() ? "" : " | ") + std::string(c);
      break;
    case Kind::IdMap: type = "id map"; break;
    case Kind::Rlimit: type = "n, unlimited or {soft, hard}"; break;
    case Kind::StringMap: type = "map of strings"; break;
    case Kind::Object: type = f.type.list ? "list of " + std::string(f.nested()->name) : std::string(f.nested()->name); break;
  }
  if (f.type.list && f.type.kind != Kind::Object) type = "list of " + type;
  if (!f.type.unit.empty() && f.type.kind != Kind::Bytes && f.type.kind != Kind::MemoryLimit) type += " (" + std::string(f.type.unit) + ")";
  return type;
}

std::string default_text(const FieldSpec& f) {
  return f.required ? "required" : std::string(f.default_text);
}

namespace {

void visit(const ObjectSpec& spec, const std::string& path, std::set<std::string>& seen,
           const std::function<void(const std::string&, const ObjectSpec&)>& section) {
  section(path, spec);
  for (const auto& f : spec.fields) {
    if (f.type.kind != Kind::Object) continue;
    std::string child = path + "." + std::string(f.key) + (f.type.list ? "[]" : "");
    if (seen.insert(child).second) visit(*f.nested(), child, seen, section);
  }
}

}  // namespace

void for_each_section(const ObjectSpec& spec, const std::string& path,
                      const std::function<void(const std::string& path, const ObjectSpec& spec)>& section) {
  std::set<std::string> seen;
  visit(spec, path, seen, section);
}

}  // namespace nsplan::schema
