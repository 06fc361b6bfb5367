#include "compiler/profile_reader.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include "compiler/cgroup_limits.h"
#include "compiler/mac_address.h"
#include "compiler/names.h"
#include "compiler/text_policy.h"
#include "compiler/units.h"
#include "schema/table.h"

namespace nsplan {

using schema::FieldSpec;
using schema::Kind;
using schema::ObjectSpec;
using schema::TypeSpec;

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t up = row[j];
        size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]))
                          ? 0 : 1;
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
        diag = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  size_t best_distance = SIZE_MAX;
  size_t allowed = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  for (auto c : candidates) {
    size_t d = distance(word, c);
    if (d < best_distance && d <= allowed) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool all_of_chars(std::string_view s, auto pred) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)); });
}

// What a value of this type looks like, for "expected ..." messages.
std::string expectation(const TypeSpec& t) {
  switch (t.kind) {
    case Kind::String: return "a string";
    case Kind::Name: return "a name (letters, digits, '_', '.', '-')";
    case Kind::IfName: return "an interface name";
    case Kind::Mac: return "a MAC address such as 02:00:00:00:00:01";
    case Kind::CgroupPath: return "a relative cgroup path";
    case Kind::AbsPath: return "an absolute path";
    case Kind::Hostname: return "a host name";
    case Kind::Octal: return "an octal mode such as 1777";
    case Kind::Account: return "a user or group name, or a number";
    case Kind::Device: return "a block device (MAJ:MIN or /dev/NAME)";
    case Kind::Bool: return "true or false";
    case Kind::UInt:
    case Kind::Int: return "an integer in " + std::to_string(t.min) + ".." + std::to_string(t.max);
    case Kind::Bytes: return "a size such as 512M, 3G or max";
    case Kind::MemoryLimit: return "a size such as 512M, 3G or max, or a share of RAM such as 5%";
    case Kind::Percent: return "a percentage from 0 to 100 (up to two decimals), or max";
    case Kind::Count: return "a number or max";
    case Kind::CpuMax: return "a CPU share such as 50%, 1.5 or 50000/100000";
    case Kind::CpuList: return "a CPU list such as 0-3,5";
    case Kind::Cidr: return "an address with prefix such as 10.0.0.1/24";
    case Kind::IpAddress: return "an IP address";
    case Kind::Route: return "default or a CIDR";
    case Kind::Enum: {
      std::string s = "one of";
      for (auto c : t.choices) s += " " + std::string(c);
      return s;
    }
    case Kind::IdMap: return "an id map such as \"0 100000 65536\"";
    case Kind::Rlimit: return "a number, unlimited, or {soft, hard}";
    case Kind::StringMap: return "a mapping of names to strings";
    case Kind::Object: return "a mapping";
  }
  return "a value";
}

class Reader {
 public:
  explicit Reader(Diagnostics& diags) : diags_(diags) {}

  void read_object(const YamlNode& node, const ObjectSpec& spec, void* object) {
    if (node.is_null()) return;  // `pid:` alone means "a new one, with defaults"
    if (!node.is_map()) {
      diags_.error(node.loc, "expected a mapping for " + std::string(spec.name) + ", got " +
                                 node.type_name());
      return;
    }
    for (const auto& [key, value] : node.entries) {
      const FieldSpec* field = spec.find(key->scalar);
      if (!field) {
        unknown_key(*key, spec);
        continue;
      }
      read_field(*field, *value, object);
    }
    for (const auto& field : spec.fields) {
      if (field.required && !node.get(field.key))
        diags_.error(node.loc, "missing required key " + quoted(field.key) + " in " + std::string(spec.name),
                     std::string(field.doc));
    }
  }

 private:
  void unknown_key(const YamlNode& key, const ObjectSpec& spec) {
    std::vector<std::string_view> names;
    for (const auto& f : spec.fields) names.push_back(f.key);
    std::string hint;
    std::string best = closest_match(key.scalar, names);
    if (!best.empty()) {
      hint = "did you mean " + quoted(best) + "?";
    } else if (key.scalar == "<<") {
      hint = "YAML merge keys are not supported; use include: or extends:";
    } else {
      hint = "known keys:";
      for (auto n : names) hint += " " + std::string(n);
    }
    diags_.error(key.loc, "unknown key " + quoted(key.scalar) + " in " + std::string(spec.name), hint);
  }

  void read_field(const FieldSpec& field, const YamlNode& value, void* object) {
    schema::Slot slot = field.slot(object);
    std::visit([&](auto&& target) { store(field, value, target, object); }, slot);
  }

  // ---- scalars -----------------------------------------------------------------------------

  const YamlNode* scalar(const FieldSpec& f, const YamlNode& v) {
    if (v.type == YamlNode::Type::Scalar) return &v;
    diags_.error(v.loc, "expected " + expectation(f.type) + " for " + quoted(f.key) + ", got " + v.type_name());
    return nullptr;
  }

  template <class T>
  std::optional<T> take(const YamlNode& v, Result<T> r) {
    if (r.ok()) return std::move(r.value());
    diags_.error(v.loc, r.problem().message, r.problem().hint);
    return std::nullopt;
  }

  // Free text and paths may hold any character but those that would mislead whoever reads them
  // on a terminal (compiler/text_policy.h). `what` names the value: "'description'".
  bool readable(const std::string& what, const YamlNode& v, text::Allow allow) {
    auto problem = text::check_value(v.scalar, allow);
    if (problem) diags_.error(v.loc, what + " " + problem->message, problem->hint);
    return !problem;
  }

  // Validates a text value of one of the string kinds; returns the normalised text.
  std::optional<std::string> text_value(const FieldSpec& f, const TypeSpec& t, const YamlNode& v) {
    const std::string& s = v.scalar;
    auto bad = [&](std::string msg, std::string hint = {}) -> std::optional<std::string> {
      diags_.error(v.loc, std::move(msg), std::move(hint));
      return std::nullopt;
    };
    if (t.kind == Kind::String) {
      if (!readable(quoted(f.key), v, text::Allow::NewlineAndTab)) return std::nullopt;
      return s;
    }
    if (s.find('\0') != std::string::npos) return bad(quoted(f.key) + " contains a NUL byte");
    switch (t.kind) {
      case Kind::Name: {
        if (!is_name(s))
          return bad("invalid name " + quoted(s) + " for " + quoted(f.key),
                     "use 1..64 letters, digits, '_', '.' or '-', not starting with '-' or '.'");
        return s;
      }
      case Kind::IfName: {
        if (s.empty()) return bad("interface name is empty");
        if (s == "." || s == "..") return bad("interface name " + quoted(s) + " is not allowed");
        for (char c : s) {
          auto u = static_cast<unsigned char>(c);
          if (std::isalnum(u) || c == '_' || c == '.' || c == '-') continue;
          std::string shown = std::isspace(u) ? "whitespace" : u < 0x20 || u >= 0x7f ? "a control or non-ASCII byte" : quoted(std::string(1, c));
          return bad("interface name " + quoted(s) + " contains " + shown,
                     "use letters, digits, '_', '.' and '-' (no '/', ':', '%' or spaces)");
        }
        if (s[0] == '-') return bad("interface name " + quoted(s) + " starts with '-'", "it would read as an option");
        if (s.size() > 15)
          return bad("interface name " + quoted(s) + " is " + std::to_string(s.size()) + " bytes; the kernel allows 15",
                     "shorten it to at most 15 bytes");
        return s;
      }
      case Kind::Mac: {
        // Six octets as ip-link(8) takes them; kept in lowercase, as the kernel reports them.
        if (!is_mac_text(s)) return bad("invalid MAC address " + quoted(s), "write six hex octets separated by ':', such as 02:00:00:00:00:01");
        std::string mac = lowercase_mac(s);
        if (std::stoul(mac.substr(0, 2), nullptr, 16) & 1)
          return bad("MAC address " + quoted(s) + " is a multicast address", "a link's address must be unicast: make the first octet even (02:... is a local one)");
        if (mac == "00:00:00:00:00:00") return bad("MAC address " + quoted(s) + " is all zeros", "use a locally administered address such as 02:00:00:00:00:01");
        return mac;
      }
      case Kind::CgroupPath: {
        if (s.empty()) return bad("cgroup path is empty");
        if (s[0] == '/')
          return bad("cgroup path " + quoted(s) + " is absolute; it must be relative to the cgroup root",
                     "drop the leading '/': paths are below /sys/fs/cgroup (v1: below each controller)");
        size_t start = 0;
        while (start <= s.size()) {
          size_t slash = s.find('/', start);
          std::string_view part = std::string_view(s).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
          if (part.empty())
            return bad("cgroup path " + quoted(s) + " has an empty component", "remove the doubled or trailing '/'");
          if (part == "..")
            return bad("cgroup path " + quoted(s) + " escapes the cgroup root with '..'", "name a path below the root");
          if (part == ".") return bad("cgroup path " + quoted(s) + " has a '.' component", "remove it");
          if (part.size() > 255) return bad("cgroup path component is longer than 255 bytes");
          bool ok = all_of_chars(part, [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == ':' || c == '+'; });
          if (!ok || part[0] == '-')
            return bad("cgroup path " + quoted(s) + " has a bad component " + quoted(part),
                       "use letters, digits and '_', '.', '-', '@', ':', '+', not starting with '-'");
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
        return s;
      }
      case Kind::AbsPath:
        if (s.empty() || s[0] != '/') return bad(quoted(f.key) + " must be an absolute path, got " + quoted(s), "start it with '/'");
        if (!readable("path " + quoted(f.key), v, text::Allow::Nothing)) return std::nullopt;
        return s;
      case Kind::Hostname: {
        bool ok = !s.empty() && s.size() <= 64 && s.front() != '-' && s.front() != '.' && s.back() != '-' &&
                  s.find("..") == std::string::npos &&
                  all_of_chars(s, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
        if (!ok) return bad("invalid host name " + quoted(s), "use 1..64 letters, digits, '-' and '.'");
        return s;
      }
      case Kind::Octal: {
        bool ok = s.size() >= 3 && s.size() <= 4 && all_of_chars(s, [](unsigned char c) { return c >= '0' && c <= '7'; });
        if (!ok) return bad("invalid mode " + quoted(s), "write an octal mode such as 755 or 1777 (quote it: \"0755\")");
        return s;
      }
      case Kind::Account: {
        // As useradd(8) and chown(1) take them: a name, or all digits for a number (the kernel's
        // ids end at 4294967294; 4294967295 is "no change" to chown(2)).
        const bool number = !s.empty() && all_of_chars(s, [](unsigned char c) { return std::isdigit(c); });
        if (number) {
          if (s.size() > 10 || std::stoull(s) > 4294967294ull)
            return bad("id " + quoted(s) + " is out of range", "user and group ids go from 0 to 4294967294");
          return s;
        }
        bool ok = !s.empty() && s.size() <= 32 && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_') &&
                  all_of_chars(s, [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
        if (!ok)
          return bad("invalid user or group " + quoted(s),
                     "a name of up to 32 letters, digits, '_', '.', '-', starting with a letter or '_', or a number");
        return s;
      }
      case Kind::Device:
        if (!s.empty() && s[0] == '/') {
          if (s.rfind("/dev/", 0) != 0) return bad("device " + quoted(s) + " is not under /dev");
          if (!readable("device " + quoted(f.key), v, text::Allow::Nothing)) return std::nullopt;
          return s;
        } else {
          auto r = take(v, units::parse_devnum(s));
          if (!r) return std::nullopt;
          return *r;
        }
      case Kind::Percent: {
        auto r = take(v, units::parse_uclamp(s));
        if (!r) return std::nullopt;
        return *r;
      }
      case Kind::CpuList: {
        auto r = take(v, units::parse_cpu_list(s));
        if (!r) return std::nullopt;
        return *r;
      }
      case Kind::Route: {
        if (s == "default") return s;
        auto r = take(v, units::parse_cidr(s));
        if (!r) return std::nullopt;
        return r->text();
      }
      case Kind::Enum:
        if (std::find(t.choices.begin(), t.choices.end(), s) != t.choices.end()) return s;
        {
          std::string best = closest_match(s, t.choices);
          return bad(quoted(s) + " is not a valid " + std::string(f.key) + "; expected " + expectation(t),
                     best.empty() ? std::string() : "did you mean " + quoted(best) + "?");
        }
      default:
        return bad("internal: field " + quoted(f.key) + " is not a text field");
    }
  }

  void store(const FieldSpec& f, const YamlNode& v, Opt<std::string>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto t = text_value(f, f.type, *s)) *out = Located<std::string>{*t, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Located<std::string>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto t = text_value(f, f.type, *s)) *out = Located<std::string>{*t, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<bool>* out, void*) {
    const YamlNode* s = scalar(f, v);
    if (!s) return;
    std::string lower;
    for (char c : s->scalar) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" && !s->quoted) *out = Located<bool>{true, s->loc};
    else if (lower == "false" && !s->quoted) *out = Located<bool>{false, s->loc};
    else
      diags_.error(s->loc, "expected true or false for " + quoted(f.key) + ", got " + quoted(s->scalar),
                   lower == "yes" || lower == "no" || lower == "on" || lower == "off" ? "YAML 1.2 booleans are true and false" : "");
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<uint64_t>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto n = uint_value(f, *s)) *out = Located<uint64_t>{*n, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Located<uint64_t>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto n = uint_value(f, *s)) *out = Located<uint64_t>{*n, s->loc};
  }
  std::optional<uint64_t> uint_value(const FieldSpec& f, const YamlNode& s) {
    auto r = units::parse_uint(s.scalar, static_cast<uint64_t>(f.type.min), static_cast<uint64_t>(f.type.max));
    if (!r.ok()) {
      diags_.error(s.loc, quoted(f.key) + ": " + r.problem().message, r.problem().hint);
      return std::nullopt;
    }
    return r.value();
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<int64_t>* out, void*) {
    const YamlNode* s = scalar(f, v);
    if (!s) return;
    auto r = units::parse_int(s->scalar, f.type.min, f.type.max);
    if (!r.ok()) diags_.error(s->loc, quoted(f.key) + ": " + r.problem().message, r.problem().hint);
    else *out = Located<int64_t>{r.value(), s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<ByteLimit>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto b = take(*s, f.type.kind == Kind::MemoryLimit ? units::parse_memory_limit(s->scalar)
                                                              : units::parse_bytes(s->scalar, true)))
        *out = Located<ByteLimit>{*b, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<CountLimit>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto c = take(*s, units::parse_count(s->scalar))) *out = Located<CountLimit>{*c, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<CpuMax>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto c = take(*s, units::parse_cpu_max(s->scalar, cgroup_limits::kDefaultCpuPeriodUs,
                                                          /*check_share_quota=*/false))) *out = Located<CpuMax>{*c, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<IpAddress>* out, void*) {
    if (const YamlNode* s = scalar(f, v))
      if (auto a = take(*s, units::parse_ip(s->scalar))) *out = Located<IpAddress>{*a, s->loc};
  }
  void store(const FieldSpec& f, const YamlNode& v, Opt<Rlimit>* out, void*) {
    if (v.type == YamlNode::Type::Scalar) {
      if (auto n = take(v, units::parse_rlimit_value(v.scalar))) *out = Located<Rlimit>{{*n, *n}, v.loc};
      return;
    }
    if (!v.is_map()) {
      diags_.error(v.loc, "expected " + expectation(f.type) + " for " + quoted(f.key) + ", got " + v.type_name());
      return;
    }
    Rlimit r;
    bool have_soft = false, have_hard = false, ok = true;
    for (const auto& [key, value] : v.entries) {
      bool soft = key->scalar == "soft";
      if (!soft && key->scalar != "hard") {
        std::string best = closest_match(key->scalar, {"soft", "hard"});
        diags_.error(key->loc, "unknown key " + quoted(key->scalar) + " in limit " + quoted(f.key),
                     best.empty() ? "an rlimit has soft and hard" : "did you mean " + quoted(best) + "?");
        ok = false;
        continue;
      }
      if (value->type != YamlNode::Type::Scalar) {
        diags_.error(value->loc, "expected a number or unlimited");
        ok = false;
        continue;
      }
      auto n = take(*value, units::parse_rlimit_value(value->scalar));
      if (!n) { ok = false; continue; }
      (soft ? r.soft : r.hard) = *n;
      (soft ? have_soft : have_hard) = true;
    }
    if (!ok) return;
    if (!have_hard || !have_soft) {
      diags_.error(v.loc, "limit " + quoted(f.key) + " needs both soft and hard", "or give one number for both");
      return;
    }
    if (r.soft > r.hard) {
      diags_.error(v.loc, "soft limit of " + quoted(f.key) + " is above its hard limit", "the kernel refuses soft > hard");
      return;
    }
    *out = Located<Rlimit>{r, v.loc};
  }

  // ---- lists and maps ----------------------------------------------------------------------

  const YamlNode* list(const FieldSpec& f, const YamlNode& v) {
    if (v.type == YamlNode::Type::Sequence) return &v;
    diags_.error(v.loc, "expected a list for " + quoted(f.key) + ", got " + v.type_name(),
                 v.type == YamlNode::Type::Scalar ? "write [" + v.scalar + "]" : "");
    return nullptr;
  }

  void store(const FieldSpec& f, const YamlNode& v, std::vector<Located<std::string>>* out, void*) {
    const YamlNode* l = list(f, v);
    if (!l) return;
    TypeSpec element = f.type;
    element.list = false;
    for (const auto& item : l->items) {
      if (item->type != YamlNode::Type::Scalar) {
        diags_.error(item->loc, "expected " + expectation(element) + " in " + quoted(f.key) + ", got " + item->type_name());
        continue;
      }
      if (auto t = text_value(f, element, *item)) out->push_back({*t, item->loc});
    }
  }
  void store(const FieldSpec& f, const YamlNode& v, std::vector<Located<uint64_t>>* out, void*) {
    const YamlNode* l = list(f, v);
    if (!l) return;
    for (const auto& item : l->items) {
      if (item->type != YamlNode::Type::Scalar) {
        diags_.error(item->loc, "expected a number in " + quoted(f.key) + ", got " + item->type_name());
        continue;
      }
      if (auto n = uint_value(f, *item)) out->push_back({*n, item->loc});
    }
  }
  void store(const FieldSpec& f, const YamlNode& v, std::vector<Located<Cidr>>* out, void*) {
    const YamlNode* l = list(f, v);
    if (!l) return;
    for (const auto& item : l->items) {
      if (item->type != YamlNode::Type::Scalar) {
        diags_.error(item->loc, "expected an address with prefix such as 10.0.0.1/24, got " + std::string(item->type_name()));
        continue;
      }
      if (auto c = take(*item, units::parse_cidr(item->scalar))) out->push_back({*c, item->loc});
    }
  }
  void store(const FieldSpec& f, const YamlNode& v, std::vector<Located<IdRange>>* out, void*) {
    auto one_line = [&](const YamlNode& line) {
      if (auto r = take(line, units::parse_id_range(line.scalar))) out->push_back({*r, line.loc});
    };
    if (v.type == YamlNode::Type::Scalar) {
      one_line(v);
      return;
    }
    const YamlNode* l = list(f, v);
    if (!l) return;
    for (const auto& item : l->items) {
      if (item->type == YamlNode::Type::Scalar) {
        one_line(*item);
      } else if (item->is_map()) {
        IdRange r;
        bool ok = true;
        for (const char* key : {"inside", "outside", "count"}) {
          const YamlNode* n = item->get(key);
          if (!n || n->type != YamlNode::Type::Scalar) {
            diags_.error(item->loc, std::string("id range needs '") + key + "'", "write {inside: 0, outside: 100000, count: 65536}");
            ok = false;
            break;
          }
          auto num = units::parse_uint(n->scalar, key == std::string("count") ? 1 : 0, 4294967295u);
          if (!num.ok()) {
            diags_.error(n->loc, std::string("'") + key + "': " + num.problem().message, num.problem().hint);
            ok = false;
            break;
          }
          (key == std::string("inside") ? r.inside : key == std::string("outside") ? r.outside : r.count) =
              static_cast<uint32_t>(num.value());
        }
        for (const auto& [k, val] : item->entries)
          if (k->scalar != "inside" && k->scalar != "outside" && k->scalar != "count") {
            std::string best = closest_match(k->scalar, {"inside", "outside", "count"});
            diags_.error(k->loc, "unknown key " + quoted(k->scalar) + " in id range",
                         best.empty() ? "an id range has inside, outside and count" : "did you mean " + quoted(best) + "?");
            ok = false;
          }
        if (ok && (uint64_t{r.inside} + r.count > (uint64_t{1} << 32) || uint64_t{r.outside} + r.count > (uint64_t{1} << 32))) {
          diags_.error(item->loc, "id range runs past 4294967295");
          ok = false;
        }
        if (ok) out->push_back({r, item->loc});
      } else {
        diags_.error(item->loc, "expected \"inside outside count\" or {inside, outside, count}");
      }
    }
  }
  void store(const FieldSpec& f, const YamlNode& v, schema::StringPairs* out, void*) {
    if (v.is_null()) return;
    if (!v.is_map()) {
      diags_.error(v.loc, "expected " + expectation(f.type) + " for " + quoted(f.key) + ", got " + v.type_name());
      return;
    }
    // run.env holds environment variables; the other maps (net_prio.ifpriomap, misc) have keys
    // that their planner checks, and one-line values.
    const bool env = f.key == "env";
    for (const auto& [key, value] : v.entries) {
      const std::string& k = key->scalar;
      if (env) {
        bool ok = !k.empty() && (std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_') &&
                  all_of_chars(k, [](unsigned char c) { return std::isalnum(c) || c == '_'; });
        if (!ok) {
          diags_.error(key->loc, "invalid environment variable name " + quoted(k), "use letters, digits and '_', not starting with a digit");
          continue;
        }
      } else if (!readable("key " + quoted(k) + " of " + quoted(f.key), *key, text::Allow::Nothing)) {
        continue;
      }
      if (value->type != YamlNode::Type::Scalar) {
        diags_.error(value->loc, "expected a string for " + quoted(k) + ", got " + value->type_name());
        continue;
      }
      if (!readable((env ? "environment value " : "value of ") + quoted(k), *value,
                    env ? text::Allow::NewlineAndTab : text::Allow::Nothing))
        continue;
      out->push_back({{k, key->loc}, {value->scalar, value->loc}});
    }
  }

  void store(const FieldSpec& f, const YamlNode& v, schema::ObjectSlot slot, void* owner) {
    if (f.mark_object) f.mark_object(owner, v.loc);
    read_object(v, *slot.spec, slot.object);
  }

  void store(const FieldSpec& f, const YamlNode& v, schema::ObjectListSlot slot, void*) {
    if (v.is_null()) return;
    const YamlNode* l = list(f, v);
    if (!l) return;
    for (const auto& item : l->items) {
      if (!item->is_map()) {
        diags_.error(item->loc, "expected a mapping for each entry of " + quoted(f.key) + ", got " + item->type_name());
        continue;
      }
      void* element = slot.emplace_back(item->loc);
      read_object(*item, *slot.spec, element);
    }
  }

  Diagnostics& diags_;
};

}  // namespace

Profile read_profile(const YamlNode& root, Diagnostics& diags) {
  Profile profile;
  profile.loc = root.loc;
  if (root.is_null()) {
    diags.error(root.loc, "the profile is empty", "start with `nsplan: 1` and `name: ...`");
    return profile;
  }
  if (!root.is_map()) {
    diags.error(root.loc, std::string("a profile is a mapping of keys, not ") + root.type_name());
    return profile;
  }
  // The format version is checked first: keys of a newer format must not read as typos.
  const YamlNode* version = root.get("nsplan");
  if (!version) {
    diags.error(root.loc, "missing required key 'nsplan' (the format version)", "add `nsplan: 1` as the first line");
    return profile;
  }
  if (version->type == YamlNode::Type::Scalar) {
    auto v = units::parse_uint(version->scalar, 1, UINT32_MAX);
    if (v.ok() && v.value() > schema::kFormatVersion) {
      diags.error(version->loc,
                  "profile format version " + std::to_string(v.value()) + " is newer than this nsplan reads (" +
                      std::to_string(schema::kFormatVersion) + ")",
                  "upgrade nsplan, or write the profile for version 1");
      return profile;
    }
  }
  Reader(diags).read_object(root, schema::profile_spec(), &profile);
  return profile;
}

}  // namespace nsplan
