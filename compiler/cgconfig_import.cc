#include "compiler/cgconfig_import.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/cgconfig_parse.h"
#include "compiler/escape.h"
#include "compiler/names.h"

namespace nsplan::cgconfig {
namespace {

// ---- YAML out --------------------------------------------------------------------------------

// A tree to write: scalars are YAML text already (yaml_scalar, or a number).
struct Node {
  enum class Kind { Scalar, Map, FlowMap, List } kind = Kind::Scalar;
  std::string scalar;
  // Not std::pair: with clang, pair<string, Node> is instantiated while Node is incomplete.
  struct Entry;
  std::vector<Entry> entries;
  std::vector<Node> items;

  static Node text(const std::string& s);
  static Node raw(const std::string& s);
  static Node map();
  static Node flow();
  static Node list();
  void add(const std::string& key, Node value);
  bool empty() const;
};

struct Node::Entry {
  std::string first;  // the key
  Node second;        // its value
};

Node Node::text(const std::string& s) { return Node{Kind::Scalar, yaml_scalar(s), {}, {}}; }
Node Node::raw(const std::string& s) { return Node{Kind::Scalar, s, {}, {}}; }
Node Node::map() { return Node{Kind::Map, {}, {}, {}}; }
Node Node::flow() { return Node{Kind::FlowMap, {}, {}, {}}; }
Node Node::list() { return Node{Kind::List, {}, {}, {}}; }
void Node::add(const std::string& key, Node value) { entries.push_back(Entry{key, std::move(value)}); }
bool Node::empty() const { return kind != Kind::Scalar && entries.empty() && items.empty(); }

std::string inline_text(const Node& n) {
  if (n.kind == Node::Kind::Scalar) return n.scalar;
  std::string out = "{";
  for (size_t i = 0; i < n.entries.size(); ++i)
    out += (i ? ", " : "") + n.entries[i].first + ": " + inline_text(n.entries[i].second);
  return out + "}";
}

void emit_map(const Node& map, size_t indent, std::string& out);

// One "key: value" entry at INDENT; nested blocks two spaces in, list dashes two spaces in from
// their key (nsplan fmt's layout).
void emit_entry(const std::string& key, const Node& value, size_t indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (value.kind == Node::Kind::Scalar || value.kind == Node::Kind::FlowMap) {
    out += pad + key + ": " + inline_text(value) + "\n";
  } else if (value.kind == Node::Kind::Map) {
    out += pad + key + ":\n";
    emit_map(value, indent + 2, out);
  } else {
    out += pad + key + ":\n";
    for (const Node& item : value.items) {
      if (item.kind != Node::Kind::Map) {
        out += pad + "  - " + inline_text(item) + "\n";
        continue;
      }
      std::string block;
      emit_map(item, indent + 4, block);
      block.replace(indent, 4, "  - ");  // the first key's line carries the dash
      out += block;
    }
  }
}

void emit_map(const Node& map, size_t indent, std::string& out) {
  for (const auto& [key, value] : map.entries) emit_entry(key, value, indent, out);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split(std::string_view s, char by) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(by, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// The lines of a value (a quoted value may hold several, one kernel write each), blanks dropped.
std::vector<std::string> value_lines(const std::string& v) {
  std::vector<std::string> out;
  for (const auto& line : split(v, '\n'))
    if (auto t = trim(line); !t.empty()) out.push_back(t);
  return out;
}

// Words separated by blanks.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// ---- values ----------------------------------------------------------------------------------

// A byte count as cgroup files take it ("1073741824", "512M", "-1", "max") in nsplan's terms:
// "max", or digits with an optional K/M/G/T (×1024, as the kernel's memparse).
std::optional<std::string> bytes_text(const std::string& v) {
  if (v == "-1" || v == "max") return "max";
  if (all_digits(v)) return v;
  if (v.size() >= 2 && all_digits(std::string_view(v).substr(0, v.size() - 1))) {
    char unit = static_cast<char>(v.back() >= 'a' ? v.back() - 32 : v.back());
    if (unit == 'K' || unit == 'M' || unit == 'G' || unit == 'T') return v.substr(0, v.size() - 1) + unit;
  }
  return std::nullopt;
}

// The number of bytes of bytes_text's form; nothing for max or what does not fit 63 bits.
std::optional<uint64_t> bytes_number(const std::string& text) {
  if (text == "max" || text.empty()) return std::nullopt;
  uint64_t scale = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'K': scale = uint64_t{1} << 10; break;
    case 'M': scale = uint64_t{1} << 20; break;
    case 'G': scale = uint64_t{1} << 30; break;
    case 'T': scale = uint64_t{1} << 40; break;
    default: scale = 1;
  }
  if (scale != 1) digits.pop_back();
  if (!all_digits(digits) || digits.size() > 18) return std::nullopt;
  uint64_t n = std::stoull(digits);
  if (n > (uint64_t{1} << 62) / scale) return std::nullopt;
  return n * scale;
}

// BYTES in the largest unit that states it exactly ("3G").
std::string bytes_short(uint64_t bytes) {
  const char* units = "TGMK";
  for (int i = 0; i < 4; ++i) {
    uint64_t scale = uint64_t{1} << (10 * (4 - i));
    if (bytes != 0 && bytes % scale == 0) return std::to_string(bytes / scale) + units[i];
  }
  return std::to_string(bytes);
}

// A unit-less count or "max" (pids.max, rdma).
std::optional<std::string> count_text(const std::string& v) {
  if (v == "max" || all_digits(v)) return v;
  return std::nullopt;
}

// hugetlb's page size names ("2MB", "1GB", "64KB") as nsplan's sizes ("2M").
std::optional<std::string> page_size(const std::string& name) {
  if (name.size() < 3 || name.substr(name.size() - 1) != "B") return std::nullopt;
  std::string n = name.substr(0, name.size() - 1);
  auto b = bytes_text(n);
  if (!b || *b == "max" || all_digits(*b)) return std::nullopt;
  return b;
}

// ---- a group -----------------------------------------------------------------------------------

const std::set<std::string>& known_controllers() {
  static const std::set<std::string> s{"blkio",   "cpu",  "cpuacct",  "cpuset",     "devices", "freezer",
                                        "hugetlb", "io",   "memory",   "misc",       "net_cls", "net_prio",
                                        "perf_event", "pids", "rdma"};
  return s;
}

// One profile's worth of keys, as they are found; written out in the schema's order.
class GroupImport {
 public:
  GroupImport(Diagnostics& diags, bool strict) : diags_(diags), strict_(strict) {}

  void lossy(const SourceLoc& at, const std::string& message, const std::string& hint = {}) {
    if (strict_) diags_.error(at, message, hint);
    else diags_.warning(at, message, hint);
  }

  // A controller section: its settings become keys; one that gives none makes the group a
  // member of that hierarchy (cgroup.membership).
  void section(const ControllerSection& c) {
    const std::string& controller = c.controller.text;
    const bool named = controller.rfind("name=", 0) == 0;
    if (!named && !known_controllers().count(controller)) {
      lossy(c.controller.loc, "'" + text::escaped(controller) + "' is not a cgroup controller nsplan knows; section not imported",
            "controllers: blkio, cpu, cpuacct, cpuset, devices, freezer, hugetlb, io, memory, misc, net_cls, "
            "net_prio, perf_event, pids, rdma, or \"name=NAME\"");
      return;
    }
    if (std::any_of(membership_.begin(), membership_.end(), [&](const Word& w) { return w.text == controller; }) ||
        std::count(sections_.begin(), sections_.end(), controller)) {
      lossy(c.controller.loc, "a second " + text::escaped(controller) + " section in this group; not imported");
      return;
    }
    sections_.push_back(controller);
    const size_t keys_before = keys_;
    for (const Setting& s : c.settings) {
      if (named) {
        lossy(s.name.loc, "a named hierarchy has no files to set: " + text::escaped(s.name.text) + " not imported");
        continue;
      }
      setting(controller, s);
    }
    if (keys_ == keys_before) membership_.push_back(c.controller);
  }

  void permissions(const Permissions& p, Diagnostics& diags) {
    perm_ = Node::map();
    auto read = [&](const std::vector<Setting>& settings, bool task) {
      Node n = Node::flow();
      std::map<std::string, std::string> keys = task ? std::map<std::string, std::string>{{"uid", "user"}, {"gid", "group"}, {"fperm", "mode"}}
                                                     : std::map<std::string, std::string>{
                                                           {"uid", "user"}, {"gid", "group"}, {"dperm", "dir_mode"}, {"fperm", "file_mode"}};
      std::map<std::string, Node> found;
      for (const Setting& s : settings) {
        auto k = keys.find(s.name.text);
        if (k == keys.end()) {
          diags.error(s.name.loc, "'" + text::escaped(s.name.text) + "' is not a setting of " + (task ? "task" : "admin"),
                      task ? "task takes uid, gid and fperm" : "admin takes uid, gid, dperm and fperm");
          continue;
        }
        if (found.count(k->second)) diags.warning(s.name.loc, text::escaped(s.name.text) + " given again; the last is kept");
        if (s.name.text == "uid" || s.name.text == "gid") {
          if (s.value.text.empty() || s.value.text.find_first_of(" \t\n:") != std::string::npos) {
            diags.error(s.value.loc, "'" + text::escaped(s.value.text) + "' is not a user or group name or number");
            continue;
          }
          found[k->second] = Node::text(s.value.text);
          continue;
        }
        // Modes are octal, as libcgroup reads them (strtol base 8): "770" is 0770.
        const std::string& m = s.value.text;
        if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos) {
          diags.error(s.value.loc, "'" + text::escaped(m) + "' is not an octal file mode", "such as 770 or 0644");
          continue;
        }
        found[k->second] = Node::text(std::string(4 - m.size(), '0') + m);
      }
      for (const char* key : {"user", "group", "mode", "dir_mode", "file_mode"})
        if (auto it = found.find(key); it != found.end()) n.add(key, it->second);
      return n;
    };
    if (p.task)
      if (Node n = read(*p.task, true); !n.empty()) perm_.add("tasks", std::move(n));
    if (p.admin)
      if (Node n = read(*p.admin, false); !n.empty()) perm_.add("admin", std::move(n));
  }

  bool has_controllers() const { return !sections_.empty(); }
  const std::vector<std::string>& controllers() const { return sections_; }

  // The cgroup mapping, keys in the order of the field table.
  Node cgroup(const std::string& path) {
    finish_memory_swap();
    finish_cpu_max();
    Node cg = Node::map();
    cg.add("path", Node::text(path));
    for (const char* group : {"memory", "cpu", "cpuset", "pids", "io"}) {
      Node m = Node::map();
      for (const char* key : order_of(group))
        if (auto it = scalars_.find(std::string(group) + "." + key); it != scalars_.end()) m.add(key, it->second.node);
      if (std::string(group) == "io") {
        if (!io_devices_.empty()) {
          Node list = Node::list();
          for (const auto& [device, limits] : io_devices_) {
            Node d = Node::map();
            d.add("device", Node::text(device));
            for (const char* k : {"rbps", "wbps", "riops", "wiops"})
              if (auto it = limits.find(k); it != limits.end()) d.add(k, Node::raw(it->second));
            list.items.push_back(std::move(d));
          }
          m.add("devices", std::move(list));
        }
        if (!device_weights_.empty()) {
          Node list = Node::list();
          for (const auto& [device, weight] : device_weights_) {
            Node d = Node::map();
            d.add("device", Node::text(device));
            d.add("weight", Node::raw(weight));
            list.items.push_back(std::move(d));
          }
          m.add("device_weights", std::move(list));
        }
      }
      if (!m.empty()) cg.add(group, std::move(m));
    }
    if (!hugetlb_.empty()) {
      Node list = Node::list();
      for (const auto& [page, limits] : hugetlb_) {
        Node h = Node::map();
        h.add("page", Node::text(page));
        for (const char* k : {"max", "reserved"})
          if (auto it = limits.find(k); it != limits.end()) h.add(k, Node::text(it->second));
        list.items.push_back(std::move(h));
      }
      cg.add("hugetlb", std::move(list));
    }
    if (auto it = scalars_.find("net_cls.classid"); it != scalars_.end()) {
      Node n = Node::map();
      n.add("classid", it->second.node);
      cg.add("net_cls", std::move(n));
    }
    if (!ifpriomap_.empty()) {
      Node map = Node::map();
      for (const auto& [ifname, prio] : ifpriomap_) map.add(yaml_scalar(ifname), Node::raw(prio));
      Node n = Node::map();
      n.add("ifpriomap", std::move(map));
      cg.add("net_prio", std::move(n));
    }
    if (!misc_.empty()) {
      Node map = Node::map();
      for (const auto& [resource, n] : misc_) map.add(yaml_scalar(resource), Node::text(n));
      cg.add("misc", std::move(map));
    }
    if (!rdma_.empty()) {
      Node list = Node::list();
      for (const auto& [device, limits] : rdma_) {
        Node d = Node::map();
        d.add("device", Node::text(device));
        for (const auto& [k, v] : limits) d.add(k, Node::text(v));
        list.items.push_back(std::move(d));
      }
      cg.add("rdma", std::move(list));
    }
    if (Node d = devices(); !d.empty()) cg.add("devices", std::move(d));
    if (!membership_.empty()) {
      Node list = Node::list();
      for (const Word& w : membership_) list.items.push_back(Node::text(w.text));
      cg.add("membership", std::move(list));
    }
    if (!perm_.empty()) cg.add("permissions", perm_);
    return cg;
  }

 private:
  struct Scalar {
    Node node;
    SourceLoc loc;
  };

  static std::vector<const char*> order_of(std::string_view group) {
    if (group == "memory") return {"max", "swap", "soft", "high", "low", "min", "oom_group", "swappiness", "zswap_max"};
    if (group == "cpu")
      return {"weight", "shares", "max", "period", "burst", "idle", "uclamp_min", "uclamp_max", "rt_runtime", "rt_period"};
    if (group == "cpuset") return {"cpus", "mems"};
    if (group == "pids") return {"max"};
    if (group == "io") return {"weight", "blkio_weight"};
    return {};
  }

  void set(const std::string& key, Node value, const Setting& from) {
    ++keys_;
    if (auto it = scalars_.find(key); it != scalars_.end())
      diags_.warning(from.name.loc, text::escaped(from.name.text) + " sets nsplan's " + key + " again; the last is kept");
    scalars_[key] = Scalar{std::move(value), from.name.loc};
  }

  void bad_value(const Setting& s, const std::string& expected) {
    lossy(s.value.loc, "'" + text::escaped(s.value.text) + "' is not a value nsplan reads for " + text::escaped(s.name.text) +
                           "; not imported",
          "expected " + expected);
  }

  // "NAME VALUE" lines (net_prio.ifpriomap, misc.max): each a key of its own; a line of another
  // form, or whose value VALID refuses, a located warning.
  template <class Valid>
  void name_value_lines(const Setting& s, const std::string& v, const char* expected, Valid valid,
                        std::vector<std::pair<std::string, std::string>>& into) {
    for (const auto& line : value_lines(v)) {
      auto w = words(line);
      if (w.size() != 2 || !valid(w[1])) {
        bad_value(s, expected);
        continue;
      }
      ++keys_;
      into.emplace_back(w[0], w[1]);
    }
  }

  void bytes_key(const Setting& s, const std::string& key) {
    if (auto b = bytes_text(s.value.text)) set(key, Node::text(*b), s);
    else bad_value(s, "bytes (digits, optionally K, M, G or T), -1 or max");
  }
  void number_key(const Setting& s, const std::string& key) {
    if (all_digits(s.value.text) && s.value.text.size() <= 19) set(key, Node::raw(s.value.text), s);
    else bad_value(s, "a number");
  }
  void bool_key(const Setting& s, const std::string& key) {
    if (s.value.text == "0" || s.value.text == "1") set(key, Node::raw(s.value.text == "1" ? "true" : "false"), s);
    else bad_value(s, "0 or 1");
  }
  void text_key(const Setting& s, const std::string& key) { set(key, Node::text(trim(s.value.text)), s); }

  // "MAJ:MIN N" lines.
  void device_weight_lines(const Setting& s, bool allow_default) {
    for (const auto& line : value_lines(s.value.text)) {
      auto w = words(line);
      if (w.size() == 1 && allow_default && all_digits(w[0])) {
        set("io.weight", Node::raw(w[0]), s);
      } else if (w.size() == 2 && w[0] == "default" && allow_default && all_digits(w[1])) {
        set("io.weight", Node::raw(w[1]), s);
      } else if (w.size() == 2 && all_digits(w[1]) && w[0].find(':') != std::string::npos) {
        ++keys_;
        device_weights_.emplace_back(w[0], w[1]);
      } else {
        bad_value(s, "'MAJ:MIN WEIGHT' lines");
      }
    }
  }

  // blkio.throttle.*_device: "MAJ:MIN N" lines into io.devices[].KEY.
  void throttle_lines(const Setting& s, const char* key) {
    for (const auto& line : value_lines(s.value.text)) {
      auto w = words(line);
      if (w.size() != 2 || w[0].find(':') == std::string::npos || !all_digits(w[1])) {
        bad_value(s, "'MAJ:MIN N' lines");
        continue;
      }
      ++keys_;
      // 0 is no limit on v1: nothing to import.
      if (w[1] != "0") io_device(w[0])[key] = w[1];
    }
  }

  // v2 io.max: "MAJ:MIN rbps=N wbps=max ..." lines.
  void io_max_lines(const Setting& s) {
    for (const auto& line : value_lines(s.value.text)) {
      auto w = words(line);
      bool ok = w.size() >= 2 && w[0].find(':') != std::string::npos;
      std::map<std::string, std::string> limits;
      for (size_t i = 1; ok && i < w.size(); ++i) {
        auto eq = w[i].find('=');
        std::string k = eq == std::string::npos ? "" : w[i].substr(0, eq), v = eq == std::string::npos ? "" : w[i].substr(eq + 1);
        ok = (k == "rbps" || k == "wbps" || k == "riops" || k == "wiops") && (v == "max" || all_digits(v));
        if (ok && v != "max") limits[k] = v;
      }
      if (!ok) {
        bad_value(s, "'MAJ:MIN rbps=N wbps=N riops=N wiops=N' lines");
        continue;
      }
      ++keys_;
      auto& d = io_device(w[0]);
      for (auto& [k, v] : limits) d[k] = v;
    }
  }

  std::map<std::string, std::string>& io_device(const std::string& device) {
    for (auto& [d, limits] : io_devices_)
      if (d == device) return limits;
    io_devices_.emplace_back(device, std::map<std::string, std::string>{});
    return io_devices_.back().second;
  }

  void hugetlb_key(const Setting& s, const std::string& page_name, const char* key) {
    auto page = page_size(page_name);
    auto value = bytes_text(s.value.text);
    if (!page) return bad_value(s, "a file hugetlb.<size>.… with a size such as 2MB or 1GB");
    if (!value) return bad_value(s, "bytes, -1 or max");
    ++keys_;
    for (auto& [p, limits] : hugetlb_)
      if (p == *page) {
        limits[key] = *value;
        return;
      }
    hugetlb_.emplace_back(*page, std::map<std::string, std::string>{{key, *value}});
  }

  void setting(const std::string& controller, const Setting& s) {
    const std::string& file = s.name.text;
    const std::string& v = s.value.text;
    const std::string prefix = file.substr(0, file.find('.'));
    if (prefix != controller) {
      lossy(s.name.loc, "'" + text::escaped(file) + "' is not a file of the " + controller + " controller; not imported",
            "libcgroup writes it in the " + controller + " hierarchy, where there is no such file");
      return;
    }
    static const std::map<std::string, std::string> bytes_files{
        {"memory.limit_in_bytes", "memory.max"}, {"memory.max", "memory.max"},       {"memory.swap.max", "memory.swap"},
        {"memory.soft_limit_in_bytes", "memory.soft"}, {"memory.high", "memory.high"}, {"memory.low", "memory.low"},
        {"memory.min", "memory.min"},            {"memory.zswap.max", "memory.zswap_max"}};
    static const std::map<std::string, std::string> number_files{
        {"memory.swappiness", "memory.swappiness"}, {"cpu.shares", "cpu.shares"},          {"cpu.weight", "cpu.weight"},
        {"cpu.cfs_burst_us", "cpu.burst"},          {"cpu.max.burst", "cpu.burst"},        {"cpu.rt_runtime_us", "cpu.rt_runtime"},
        {"cpu.rt_period_us", "cpu.rt_period"},      {"blkio.weight", "io.blkio_weight"}};
    static const std::map<std::string, std::string> text_files{
        {"cpuset.cpus", "cpuset.cpus"}, {"cpuset.mems", "cpuset.mems"}, {"cpu.uclamp.min", "cpu.uclamp_min"},
        {"cpu.uclamp.max", "cpu.uclamp_max"}, {"net_cls.classid", "net_cls.classid"}};
    if (auto it = bytes_files.find(file); it != bytes_files.end()) {
      if (file == "memory.limit_in_bytes") memory_limit_ = s;
      return bytes_key(s, it->second);
    }
    if (auto it = number_files.find(file); it != number_files.end()) return number_key(s, it->second);
    if (auto it = text_files.find(file); it != text_files.end()) return text_key(s, it->second);
    if (file == "memory.oom.group") return bool_key(s, "memory.oom_group");
    if (file == "cpu.idle") return bool_key(s, "cpu.idle");
    if (file == "pids.max") {
      if (auto c = count_text(v)) return set("pids.max", Node::text(*c), s);
      return bad_value(s, "a number or max");
    }
    if (file == "memory.memsw.limit_in_bytes") {
      ++keys_;
      memsw_ = s;
      return;
    }
    if (file == "cpu.cfs_quota_us" || file == "cpu.cfs_period_us" || file == "cpu.max") {
      ++keys_;
      if (file == "cpu.cfs_quota_us") quota_ = s;
      else if (file == "cpu.cfs_period_us") period_ = s;
      else cpu_max_ = s;
      return;
    }
    if (file == "blkio.bfq.weight" || file == "io.weight" || file == "io.bfq.weight") return device_weight_lines(s, true);
    if (file == "blkio.weight_device" || file == "blkio.bfq.weight_device") return device_weight_lines(s, false);
    if (file == "blkio.throttle.read_bps_device") return throttle_lines(s, "rbps");
    if (file == "blkio.throttle.write_bps_device") return throttle_lines(s, "wbps");
    if (file == "blkio.throttle.read_iops_device") return throttle_lines(s, "riops");
    if (file == "blkio.throttle.write_iops_device") return throttle_lines(s, "wiops");
    if (file == "io.max") return io_max_lines(s);
    if (controller == "hugetlb") {
      // hugetlb.<size>.limit_in_bytes, .rsvd.limit_in_bytes (v1); .max, .rsvd.max (v2)
      auto parts = split(file, '.');
      if (parts.size() == 3 && (parts[2] == "limit_in_bytes" || parts[2] == "max")) return hugetlb_key(s, parts[1], "max");
      if (parts.size() == 4 && parts[2] == "rsvd" && (parts[3] == "limit_in_bytes" || parts[3] == "max"))
        return hugetlb_key(s, parts[1], "reserved");
    }
    if (file == "net_prio.ifpriomap") return name_value_lines(s, v, "'INTERFACE PRIORITY' lines", all_digits, ifpriomap_);
    if (file == "misc.max") return name_value_lines(s, v, "'RESOURCE N' lines", [](const std::string& n) { return count_text(n).has_value(); }, misc_);
    if (file == "rdma.max") {
      for (const auto& line : value_lines(v)) {
        auto w = words(line);
        std::vector<std::pair<std::string, std::string>> limits;
        bool ok = w.size() >= 2;
        for (size_t i = 1; ok && i < w.size(); ++i) {
          auto eq = w[i].find('=');
          std::string k = eq == std::string::npos ? "" : w[i].substr(0, eq), n = eq == std::string::npos ? "" : w[i].substr(eq + 1);
          ok = (k == "hca_handle" || k == "hca_object") && count_text(n);
          limits.emplace_back(k, n);
        }
        if (!ok) {
          bad_value(s, "'DEVICE hca_handle=N hca_object=N' lines");
          continue;
        }
        ++keys_;
        rdma_.emplace_back(w[0], limits);
      }
      return;
    }
    if (file == "devices.allow" || file == "devices.deny") {
      for (const auto& line : value_lines(v)) {
        ++keys_;
        device_rules_.push_back({file == "devices.allow", line, s});
      }
      return;
    }
    std::string hint = "docs/import.md lists the files nsplan imports";
    if (file == "freezer.state") hint = "after apply, nsplan freeze PROFILE freezes the group";
    lossy(s.name.loc, "nsplan has no key for " + text::escaped(file) + "; not imported", hint);
  }

  // memory.memsw.limit_in_bytes is memory + swap; nsplan's swap is what comes on top of max
  // (docs/cgroup-v1-v2.md, "memory.swap and v1 memsw").
  void finish_memory_swap() {
    if (!memsw_) return;
    const Setting& s = *memsw_;
    auto memsw = bytes_text(s.value.text);
    if (!memsw) return bad_value(s, "bytes, -1 or max");
    std::optional<std::string> limit = memory_limit_ ? bytes_text(memory_limit_->value.text) : std::nullopt;
    if (*memsw == "max") {
      if (limit && *limit != "max") set("memory.swap", Node::text("max"), s);
      return;  // no limit on either: what a new cgroup has
    }
    if (!limit || *limit == "max") {
      lossy(s.name.loc, "memory.memsw.limit_in_bytes without memory.limit_in_bytes: nsplan's swap is the swap allowed on top of memory.max; not imported",
            "set memory.limit_in_bytes too (memsw = limit + swap)");
      return;
    }
    auto total = bytes_number(*memsw), ram = bytes_number(*limit);
    if (!total || !ram) return bad_value(s, "bytes");
    if (*total < *ram) {
      lossy(s.value.loc, "memory.memsw.limit_in_bytes (" + *memsw + ") is below memory.limit_in_bytes (" + *limit +
                             "): the kernel refuses it (EINVAL); not imported");
      return;
    }
    set("memory.swap", Node::text(bytes_short(*total - *ram)), s);
  }

  // cpu.cfs_quota_us and cpu.cfs_period_us (v1), or cpu.max "QUOTA PERIOD" (v2), as nsplan's
  // cpu.max "QUOTA/PERIOD" or max (with cpu.period for a period of its own).
  void finish_cpu_max() {
    std::optional<std::string> quota, period;
    const Setting* where = nullptr;
    if (cpu_max_) {
      auto w = words(cpu_max_->value.text);
      bool ok = (w.size() == 1 || w.size() == 2) && (w[0] == "max" || all_digits(w[0])) && (w.size() == 1 || all_digits(w[1]));
      if (!ok) return bad_value(*cpu_max_, "'QUOTA PERIOD', 'max PERIOD', QUOTA or max");
      quota = w[0];
      if (w.size() == 2) period = w[1];
      where = &*cpu_max_;
    }
    if (quota_) {
      const std::string& q = quota_->value.text;
      if (q != "-1" && !all_digits(q)) return bad_value(*quota_, "a number of µs or -1");
      quota = q == "-1" ? "max" : q;
      where = &*quota_;
    }
    if (period_) {
      if (!all_digits(period_->value.text)) return bad_value(*period_, "a number of µs");
      period = period_->value.text;
      if (!where) where = &*period_;
    }
    if (!where) return;
    if (quota && *quota != "max") {
      set("cpu.max", Node::text(*quota + "/" + period.value_or("100000")), *where);
      return;
    }
    set("cpu.max", Node::text("max"), *where);
    if (period) set("cpu.period", Node::raw(*period), *where);
  }

  // devices.allow and devices.deny, written in the file's order to a cgroup that starts as its
  // parent (the root's allows every device): "deny a" turns it into an allow list.
  Node devices() {
    if (device_rules_.empty()) return Node::map();
    auto is_all = [](const std::string& r) { return r == "a" || r == "a *:* rwm"; };
    size_t deny_all = device_rules_.size();
    for (size_t i = 0; i < device_rules_.size(); ++i)
      if (!device_rules_[i].allow && is_all(device_rules_[i].rule)) deny_all = i;
    Node d = Node::map(), allow = Node::list(), deny = Node::list();
    for (size_t i = 0; i < device_rules_.size(); ++i) {
      const auto& r = device_rules_[i];
      if (deny_all < device_rules_.size()) {
        if (i < deny_all) lossy(r.from.value.loc, "devices rule '" + text::escaped(r.rule) + "' comes before 'devices.deny = a', which clears it; not imported");
        else if (r.allow) allow.items.push_back(Node::text(r.rule));
        else if (i > deny_all)
          lossy(r.from.value.loc, "a devices.deny rule after 'a' takes back part of an allowed rule, which nsplan's allow list cannot say; not imported",
                "list only the allowed devices in devices.allow");
      } else if (r.allow) {
        lossy(r.from.value.loc, "devices.allow '" + text::escaped(r.rule) + "' without 'devices.deny = a' first: a new cgroup allows every device already; not imported",
              "write devices.deny = a; before the allowed devices");
      } else {
        deny.items.push_back(Node::text(r.rule));
      }
    }
    if (deny_all < device_rules_.size()) {
      d.add("default", Node::raw("deny"));
      if (!allow.items.empty()) d.add("allow", std::move(allow));
    } else if (!deny.items.empty()) {
      d.add("default", Node::raw("allow"));
      d.add("deny", std::move(deny));
    }
    return d;
  }

  struct DeviceRule {
    bool allow;
    std::string rule;
    Setting from;
  };

  Diagnostics& diags_;
  bool strict_;
  size_t keys_ = 0;  // settings taken so far (a section that adds none is a membership)
  std::vector<std::string> sections_;
  std::vector<Word> membership_;
  std::map<std::string, Scalar> scalars_;  // "memory.max" -> value
  std::optional<Setting> memory_limit_, memsw_, quota_, period_, cpu_max_;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> io_devices_;
  std::vector<std::pair<std::string, std::string>> device_weights_;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> hugetlb_;
  std::vector<std::pair<std::string, std::string>> ifpriomap_, misc_;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> rdma_;
  std::vector<DeviceRule> device_rules_;
  Node perm_ = Node::map();
};

// "/daemons/www/" -> "daemons/www"; nothing when a component is empty, "." or "..".
std::optional<std::string> cgroup_path(std::string_view name) {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  while (!name.empty() && name.back() == '/') name.remove_suffix(1);
  if (name.empty()) return std::nullopt;
  for (const auto& part : split(name, '/'))
    if (part.empty() || part == "." || part == "..") return std::nullopt;
  return std::string(name);
}

// The controllers of a mount line ("cpu,nodev,noexec" -> cpu; "name=foo" -> name=foo).
std::vector<std::string> mounted_controllers(const std::string& key) {
  std::vector<std::string> out;
  for (const auto& opt : split(key, ','))
    if (!opt.empty() && opt != "nodev" && opt != "nosuid" && opt != "noexec" && opt != "none") out.push_back(opt);
  return out;
}

void check_mounts(const Config& config, const ImportOptions& options, Diagnostics& diags) {
  if (!options.host) return;
  const HostFacts& host = *options.host;
  auto same = [&](const std::string& a, const std::string& b) {
    return options.same_directory ? options.same_directory(a, b) : a == b;
  };
  for (const Setting& m : config.mounts) {
    for (const auto& controller : mounted_controllers(m.name.text)) {
      if (host.mode == CgroupMode::V2) {
        diags.warning(m.name.loc, "this host has cgroup v2 (one hierarchy at " + host.cgroup_root + "): " +
                                      text::escaped(controller) + " is not mounted on its own",
                      "the profiles place their cgroups in the host's hierarchy; mounting is the host's business");
        continue;
      }
      auto it = host.v1_mounts.find(controller);
      if (it == host.v1_mounts.end())
        diags.warning(m.name.loc, text::escaped(controller) + " is not mounted on this host (cgconfig.conf mounts it at " +
                                      text::escaped(m.value.text) + ")",
                      "profiles that use it fail to apply here until it is mounted");
      else if (!same(it->second, m.value.text))
        diags.warning(m.value.loc, text::escaped(controller) + " is mounted at " + text::escaped(it->second) +
                                       " on this host, not at " + text::escaped(m.value.text),
                      "the profiles use the host's mount");
    }
  }
}

}  // namespace

std::string yaml_scalar(const std::string& s) {
  static const std::set<std::string> special{"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
  bool plain = !s.empty() && !special.count(lower(s));
  // Other words that start with a digit are quoted (0770 would be a number, 1:10 a time in
  // YAML 1.1).
  // Sizes such as 3G and quotas such as 50000/100000 read back as the same text.
  const bool size = (s.size() >= 2 && all_digits(std::string_view(s).substr(0, s.size() - 1)) &&
                     std::string("KMGT").find(s.back()) != std::string::npos) ||
                    (std::isdigit(static_cast<unsigned char>(s[0])) && s.find('/') != std::string::npos);
  if (plain && !size && !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_' || s[0] == '/')) plain = false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-' || c == '=')) plain = false;
  if (all_digits(s) && (s.size() == 1 || s[0] != '0')) plain = true;  // a number; 0770 stays quoted
  if (plain) return s;
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      const char* hex = "0123456789abcdef";
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

ImportResult import_cgconfig(const std::string& path, const std::string& text, const ImportOptions& options) {
  ImportResult result;
  const uint32_t file = result.sources.add(path, text);
  Diagnostics& diags = result.diags;
  auto lossy = [&](const SourceLoc& at, const std::string& message, const std::string& hint = {}) {
    if (options.strict) diags.error(at, message, hint);
    else diags.warning(at, message, hint);
  };
  Config config = parse(result.sources, file, diags);
  check_mounts(config, options, diags);

  for (const Group& t : config.templates)
    lossy(t.keyword, "template '" + text::escaped(t.name.text) + "' is not imported: templates are made per user or process by "
                     "cgrulesengd's rules (%u, %g, %p), and nsplan has no rules daemon",
          "write a profile per user, or use nsplan run/attach as that user");

  // namespace { controller = path; }: each controller's groups are made below that path.
  std::map<std::string, const Setting*> namespace_of;
  for (const Setting& n : config.namespaces) {
    for (const auto& controller : mounted_controllers(n.name.text)) namespace_of[controller] = &n;
  }

  std::map<std::string, SourceLoc> names_taken, groups_seen;
  const std::string source_name = text::escaped(path);
  for (const Group& g : config.groups) {
    const std::string& name = g.name.text;
    if (name == "." || name == "/") {
      lossy(g.name.loc, "group '.' is the root of each hierarchy; nsplan never changes the root cgroup: not imported",
            "give the permissions and values to a group below the root");
      continue;
    }
    auto rel = cgroup_path(name);
    if (!rel) {
      diags.error(g.name.loc, "'" + text::escaped(name) + "' is not a cgroup path",
                  "a path of names separated by '/', without empty, '.' or '..' parts");
      continue;
    }
    if (auto seen = groups_seen.find(*rel); seen != groups_seen.end()) {
      diags.error(g.name.loc, "group '" + text::escaped(*rel) + "' is defined twice",
                  "the first is at line " + std::to_string(seen->second.line) + "; merge the two");
      continue;
    }
    groups_seen[*rel] = g.name.loc;
    std::string profile_name = *rel;
    std::replace(profile_name.begin(), profile_name.end(), '/', '-');
    if (!is_name(profile_name)) {
      diags.error(g.name.loc, "group '" + text::escaped(*rel) + "' gives the profile name '" + text::escaped(profile_name) +
                                  "', which nsplan cannot use",
                  "profile names are at most 64 letters, digits, '_', '.' and '-', not starting with '.' or '-'; rename the group");
      continue;
    }
    if (auto taken = names_taken.find(profile_name); taken != names_taken.end()) {
      diags.error(g.name.loc, "group '" + text::escaped(*rel) + "' gives the profile name '" + profile_name +
                                  "', as the group at line " + std::to_string(taken->second.line) + " does",
                  "'/' becomes '-' in a profile name; rename one of the groups");
      continue;
    }
    GroupImport gi(diags, options.strict);
    for (const ControllerSection& c : g.controllers) gi.section(c);
    if (!gi.has_controllers()) {
      lossy(g.name.loc, "group '" + text::escaped(*rel) + "' names no controller: libcgroup makes it in no hierarchy; not imported",
            "add an empty section such as cpuacct { } to say where it goes");
      continue;
    }
    if (g.perm) gi.permissions(*g.perm, diags);
    else if (config.default_perm) gi.permissions(*config.default_perm, diags);

    // A namespace prefix holds when every controller of the group has the same one.
    std::string cg_path = *rel;
    std::set<std::string> prefixes;
    const Setting* prefix_from = nullptr;
    for (const auto& c : gi.controllers()) {
      auto it = namespace_of.find(c);
      std::string prefix = it == namespace_of.end() ? "" : cgroup_path(it->second->value.text).value_or("");
      if (it != namespace_of.end()) prefix_from = it->second;
      prefixes.insert(prefix);
    }
    if (prefixes.size() > 1) {
      lossy(g.name.loc, "the controllers of group '" + text::escaped(*rel) + "' have different namespaces: nsplan places one "
                        "cgroup at one path in every hierarchy; the namespaces are not applied to it",
            "give its controllers the same namespace path");
    } else if (!prefixes.empty() && !prefixes.begin()->empty()) {
      cg_path = *prefixes.begin() + "/" + *rel;
    } else if (prefix_from && !cgroup_path(prefix_from->value.text)) {
      diags.error(prefix_from->value.loc, "'" + text::escaped(prefix_from->value.text) + "' is not a cgroup path");
    }

    names_taken[profile_name] = g.name.loc;
    Node profile = Node::map();
    profile.add("nsplan", Node::raw("1"));
    profile.add("name", Node::text(profile_name));
    profile.add("cgroup", gi.cgroup(cg_path));
    ImportedProfile out;
    out.name = profile_name;
    out.group = *rel;
    out.group_loc = g.name.loc;
    std::string header = source_name + ":" + std::to_string(g.keyword.line);
    std::replace_if(header.begin(), header.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    out.text = "# Imported by nsplan import cgconfig from " + header + " (group " + text::escaped(*rel) + ").\n";
    emit_map(profile, 0, out.text);
    result.profiles.push_back(std::move(out));
  }
  // In the file's order (mounts, templates and groups are looked at in turns).
  std::vector<Diagnostic> all = diags.all();
  std::stable_sort(all.begin(), all.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair{a.loc.line, a.loc.col} < std::pair{b.loc.line, b.loc.col};
  });
  diags.clear();
  for (auto& d : all) {
    if (d.severity == Severity::Error) diags.error(d.loc, std::move(d.message), std::move(d.hint));
    else if (d.severity == Severity::Warning) diags.warning(d.loc, std::move(d.message), std::move(d.hint));
    else diags.add(std::move(d));
  }
  return result;
}

}  // namespace nsplan::cgconfig
