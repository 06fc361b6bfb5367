#include "compiler/export_target.h"

#include "compiler/units.h"

namespace nsplan::exporting {

void Losses::cannot(SourceLoc loc, const std::string& target, const std::string& message, const std::string& hint) {
  const std::string text = target + " cannot express " + message;
  if (strict_)
    diags_.error(loc, text, hint.empty() ? "--strict refuses an export that leaves part of the profile out" : hint);
  else
    diags_.warning(loc, text, hint);
}

void Losses::note(SourceLoc loc, const std::string& message) { diags_.add({Severity::Note, loc, message, {}}); }

void report_network(const NetworkSpec& n, Losses& losses, const std::string& target, const std::string& hint) {
  for (const auto& name : n.namespaces) losses.cannot(name.loc, target, "the further network namespace " + name.value, hint);
  for (const auto& l : n.links)
    losses.cannot(l.loc, target, "the " + l.kind.value + " link " + l.name.value + " (and its addresses)", hint);
  for (const auto& r : n.routes)
    losses.cannot(r.loc, target, "the route to " + r.to.value + (r.netns ? " in " + r.netns->value : std::string()), hint);
  if (n.uplink)
    losses.cannot(n.uplink->loc, target, "the uplink of " + n.uplink->netns.value + " (forwarding, nftables NAT)",
                  "load the ruleset `nsplan explain` prints with nft -f, and set net.ipv4.ip_forward=1");
}

void report_net_etc(const NetNamespaceSpec& net, Losses& losses, const std::string& target, const std::string& hint) {
  // pasta started on the namespace by nsplan run (namespaces.net.rootless): no key of either target.
  if (net.rootless)
    losses.cannot(net.rootless->loc, target, "the rootless network through pasta (net.rootless)",
                  "start pasta --config-net on the command's pid, or use podman's --network=pasta");
  if (!net.etc) return;
  const EtcFilesSpec& e = *net.etc;
  std::string files;
  for (const auto& [given, name] : {std::pair{e.resolv_conf.has_value(), "resolv.conf"}, {e.hosts.has_value(), "hosts"}, {e.hostname.has_value(), "hostname"}})
    if (given) files += std::string(files.empty() ? "/etc/" : ", /etc/") + name;
  losses.cannot(e.loc, target, "the network namespace's own " + files + " (net.etc)", hint);
}

std::vector<std::pair<std::string, const Located<Rlimit>*>> rlimits_set(const LimitsSpec& s) {
  const std::pair<const char*, const Opt<Rlimit>*> table[] = {
      {"AS", &s.as},           {"CORE", &s.core},         {"CPU", &s.cpu},       {"DATA", &s.data},
      {"FSIZE", &s.fsize},     {"LOCKS", &s.locks},       {"MEMLOCK", &s.memlock}, {"MSGQUEUE", &s.msgqueue},
      {"NICE", &s.nice},       {"NOFILE", &s.nofile},     {"NPROC", &s.nproc},   {"RSS", &s.rss},
      {"RTPRIO", &s.rtprio},   {"RTTIME", &s.rttime},     {"SIGPENDING", &s.sigpending}, {"STACK", &s.stack}};
  std::vector<std::pair<std::string, const Located<Rlimit>*>> out;
  for (const auto& [name, v] : table)
    if (*v) out.emplace_back(name, &**v);
  return out;
}

std::string persisted_namespace_path(const std::string& kind, const std::string& name, const std::string& state_dir) {
  // As compiler/plan_launch.cc names them: `ip netns`'s place for net, the state dir otherwise.
  if (kind == "net") return "/run/netns/" + name;
  return state_dir + "/ns/" + name + "." + kind;
}

std::optional<DeviceNumber> device_number(const std::string& device) {
  auto checked = units::parse_devnum(device);
  if (!checked) return std::nullopt;
  const std::string& text = checked.value();
  const size_t colon = text.find(':');
  return DeviceNumber{std::stoll(text.substr(0, colon)), std::stoll(text.substr(colon + 1))};
}

}  // namespace nsplan::exporting
