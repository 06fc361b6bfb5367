// The state file and journal reader: whatever bytes they hold, destroy acts on nothing outside
// what a profile could own. The input is split at the first NUL into a state file and a journal,
// parsed by the functions ProfileState reads them with (parse_state_text, parse_journal_text;
// the files themselves are tests/unit/state_test.cc's and state_dir_test.cc's). The kernel here
// says yes to everything and answers every identity query with the identity the records claim
// (the strongest attacker: one who knows the inodes), and records each change destroy makes.
// Each change must then stay inside the profile's room:
//   cgroups: directories strictly below a hierarchy of the host (subtree_control of a root
//     too), only files of the controllers nsplan sets, "-" to subtree_control;
//   namespaces: files directly in the state dir's ns/, names without '/';
//   links: names the kernel accepts, link groups in nsplan's range (0x10000 and up).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "applier/executor.h"
#include "applier/kernel.h"
#include "applier/state.h"

namespace {

using namespace nsplan;
using namespace nsplan::applier;

[[noreturn]] void escaped(const std::string& what) {
  std::fprintf(stderr, "destroy acted outside the profile's room: %s\n", what.c_str());
  std::abort();
}

bool below(const std::string& path, const std::string& root, bool root_too) {
  if (root_too && path == root) return true;
  if (path.size() <= root.size() + 1 || path.compare(0, root.size() + 1, root + "/") != 0) return false;
  return path.find("/..") == std::string::npos && path.find("/./") == std::string::npos && path.find("//") == std::string::npos;
}

class YesKernel final : public Kernel {
 public:
  YesKernel(const HostFacts& facts, std::map<std::string, KernelId> ids) : facts_(facts), ids_(std::move(ids)) {}

  void cgroup(const std::string& dir, bool root_too) const {
    bool ok = below(dir, facts_.cgroup_root, root_too);
    for (const auto& [c, mount] : facts_.v1_mounts) ok |= below(dir, mount, root_too);
    if (!ok) escaped("cgroup " + dir);
  }
  void link(const std::string& netns, const std::string& name) const {
    if (name.empty() || name.size() > 15 || name.find('/') != std::string::npos || netns.find('/') != std::string::npos)
      escaped("link " + netns + "/" + name);
  }
  KernelId id(const std::string& key) const {
    auto it = ids_.find(key);
    return it == ids_.end() ? KernelId{} : it->second;
  }

  SysResult<bool> cgroup_exists(const std::string&) override { return true; }
  Status cgroup_mkdir(const std::string& dir) override { return cgroup(dir, false), Status(); }
  Status cgroup_rmdir(const std::string& dir) override { return cgroup(dir, false), Status(); }
  SysResult<std::string> cgroup_read(const std::string&, const std::string&) override { return std::string(); }
  Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override {
    if (file == "cgroup.subtree_control") {
      cgroup(dir, true);
      if (value.empty() || value[0] != '-') escaped("enable " + value + " in " + dir);
      return {};
    }
    cgroup(dir, false);
    std::string controller = file.substr(0, file.find('.'));
    if (controller != "memory" && controller != "cpu" && controller != "cpuset" && controller != "pids" && controller != "io" &&
        controller != "blkio")
      escaped("write " + dir + "/" + file);
    return {};
  }
  SysResult<KernelId> cgroup_id(const std::string& dir) override { return id(dir); }
  SysResult<bool> netns_exists(const std::string&) override { return true; }
  Status netns_create(const std::string& name) override { return escaped("netns create " + name), Status(); }
  Status netns_delete(const std::string& name) override {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") escaped("netns delete " + name);
    return {};
  }
  SysResult<bool> ns_exists(const std::string&) override { return true; }
  Status ns_create(plan::NsKind, const std::string& path) override { return escaped("ns create " + path), Status(); }
  Status ns_delete(const std::string& path) override {
    std::string dir = facts_.state_dir + "/ns/";
    std::string file = path.compare(0, dir.size(), dir) == 0 ? path.substr(dir.size()) : "";
    if (file.empty() || file.find('/') != std::string::npos || file[0] == '.') escaped("ns delete " + path);
    return {};
  }
  SysResult<KernelId> ns_id(const std::string& path) override { return id(path); }
  SysResult<std::pair<std::string, std::string>> hostname(const std::string&) override { return std::make_pair(std::string("h"), std::string()); }
  Status set_hostname(const std::string& ns_path, const std::string&, const std::string&) override { return ns_delete(ns_path); }
  Status link_create(const plan::CreateLink& l) override { return escaped("link create " + l.name), Status(); }
  Status link_delete(const std::string& netns, const std::string& name) override { return link(netns, name), Status(); }
  Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>&) override {
    if (group < 0x10000) escaped("delete link group " + std::to_string(group) + " in '" + netns + "'");
    return {};
  }
  Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override {
    if (!to.empty()) escaped("move " + name + " to " + to);
    if (!new_name.empty()) link(to, new_name);
    return link(from, name), Status();
  }
  Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override {
    return link(netns, name), link(netns, new_name), Status();
  }
  Status link_mtu(const std::string& netns, const std::string& dev, uint32_t) override { return link(netns, dev), Status(); }
  Status link_mac(const std::string& netns, const std::string& dev, const std::string&) override { return link(netns, dev), Status(); }
  Status link_master(const std::string& netns, const std::string& dev, const std::string&) override { return link(netns, dev), Status(); }
  Status link_up(const std::string& netns, const std::string& dev, bool) override { return link(netns, dev), Status(); }
  Status address_add(const std::string& netns, const std::string& dev, const std::string&, bool) override { return link(netns, dev), Status(); }
  Status address_del(const std::string& netns, const std::string& dev, const std::string&) override { return link(netns, dev), Status(); }
  Status route_add(const RouteSpec& r) override { return link(r.netns, r.dev.empty() ? "x" : r.dev), Status(); }
  Status route_del(const RouteSpec& r) override { return link(r.netns, r.dev.empty() ? "x" : r.dev), Status(); }
  SysResult<std::vector<LinkInfo>> links(const std::string&) override { return std::vector<LinkInfo>(); }
  SysResult<std::vector<AddressInfo>> addresses(const std::string&) override { return std::vector<AddressInfo>(); }
  SysResult<std::vector<RouteInfo>> routes(const std::string&) override { return std::vector<RouteInfo>(); }
  SysResult<KernelId> link_id(const std::string& netns, const std::string& name) override { return id(netns + "/" + name); }

 private:
  HostFacts facts_;
  std::map<std::string, KernelId> ids_;
};

// The records of one input, served as a state dir would serve them; destroy's removals succeed.
class TextState final : public StateStore {
 public:
  TextState(std::string state, std::string journal) : state_(std::move(state)), journal_(std::move(journal)) {}
  SysResult<std::vector<Owned>> load() const override {
    if (!has_state_) return std::vector<Owned>();
    return parse_state_text(state_, "p", "p.state");
  }
  Status save(const std::vector<Owned>&) const override { return {}; }
  Status remove_state() const override {
    has_state_ = false;
    return {};
  }
  bool has_state() const override { return has_state_; }
  SysResult<std::vector<Owned>> read_journal() const override { return parse_journal_text(journal_, "p.journal"); }
  Status journal_start() override { return {}; }
  Status journal_append(const Owned&) override { return {}; }
  Status journal_remove() override {
    journal_.clear();
    return {};
  }
  std::string state_path() const override { return "p.state"; }

 private:
  std::string state_, journal_;
  mutable bool has_state_ = true;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string state_text = input.substr(0, nul), journal_text = nul == std::string::npos ? "" : input.substr(nul + 1);
  // Every identity the records claim is the kernel's answer (a journal record's is written with
  // the next one).
  std::map<std::string, KernelId> ids;
  auto claim = [&](const Owned& r, const KernelId& id) {
    Subject s = subject_of(r.undo);
    ids[s.kind == Subject::Kind::Link ? s.netns + "/" + s.name : s.name] = id;
  };
  if (auto owned = parse_state_text(state_text, "p", "p.state"); owned.ok())
    for (const auto& r : owned.value()) claim(r, r.id);
  if (auto journal = parse_journal_text(journal_text, "p.journal"); journal.ok())
    for (size_t i = 0; i < journal.value().size(); ++i)
      claim(journal.value()[i], i + 1 < journal.value().size() ? journal.value()[i + 1].previous_id : journal.value()[i].id);
  for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
    HostFacts facts = HostFacts::stated(mode);
    facts.state_dir = "/run/nsplan";
    YesKernel kernel(facts, ids);
    TextState for_release(state_text, journal_text), for_destroy(state_text, journal_text);
    (void)release_cgroups(kernel, for_release, facts);
    (void)destroy_profile(kernel, for_destroy, facts);
  }
  return 0;
}
