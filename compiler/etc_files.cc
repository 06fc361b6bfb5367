#include "compiler/etc_files.h"

#include <algorithm>

#include "compiler/planner_context.h"
#include "compiler/units.h"

namespace nsplan {
namespace {

// glibc and musl ask at most this many servers (MAXNS); later lines would be silently ignored.
constexpr size_t kMaxNameservers = 3;

bool has_blank(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

std::string with_final_newline(std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

std::string resolv_conf(const ResolvConfSpec& r, Diagnostics& diags) {
  bool lines = !r.nameservers.empty() || !r.search.empty() || !r.options.empty();
  if (r.text) {
    if (lines)
      diags.error(r.text->loc, "resolv_conf.text is the whole file: it cannot be combined with nameservers, search or options",
                  "write the lines into text, or leave text out");
    return with_final_newline(r.text->value);
  }
  if (r.nameservers.size() > kMaxNameservers)
    diags.error(r.nameservers[kMaxNameservers].loc,
                "resolv.conf: the C library asks only the first 3 nameservers; this one would never be asked",
                "keep 3, or write the file as resolv_conf.text if another resolver reads it");
  std::string out;
  for (const auto& ns : r.nameservers) {
    auto ip = units::parse_ip(ns.value);
    if (!ip) diags.error(ns.loc, "a nameserver is an IP address, such as 192.0.2.53 or 2001:db8::53", "resolv.conf names no host");
    out += "nameserver " + (ip ? ip.value().text : ns.value) + "\n";
  }
  if (!r.search.empty()) {
    out += "search";
    for (const auto& d : r.search) out += " " + d.value;
    out += "\n";
  }
  if (!r.options.empty()) {
    out += "options";
    for (const auto& o : r.options) {
      if (o.value.empty() || has_blank(o.value))
        diags.error(o.loc, "a resolv.conf option is one word (ndots:2, edns0, timeout:1)", "one list item per option");
      out += " " + o.value;
    }
    out += "\n";
  }
  return out;
}

std::string hosts(const HostsSpec& h, Diagnostics& diags) {
  if (h.text) {
    if (!h.entries.empty() || h.localhost)
      diags.error(h.text->loc, "hosts.text is the whole file: it cannot be combined with entries or localhost",
                  "write the lines into text, or leave text out");
    return with_final_newline(h.text->value);
  }
  std::string out;
  if (!h.localhost || h.localhost->value) out += "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& e : h.entries) {
    if (!e.address) {
      diags.error(e.loc, "a hosts entry needs its address", "write {address: 192.0.2.7, names: [db]}");
      continue;
    }
    if (e.names.empty()) diags.error(e.loc, "a hosts entry needs at least one name", "write names: [db]");
    out += e.address->value.text;
    for (const auto& n : e.names) out += "\t" + n.value;
    out += "\n";
  }
  return out;
}

}  // namespace

std::vector<EtcFile> etc_files(const EtcFilesSpec& spec, Diagnostics& diags) {
  std::vector<EtcFile> files;
  if (spec.resolv_conf) files.push_back({"resolv.conf", resolv_conf(*spec.resolv_conf, diags), spec.resolv_conf->loc});
  if (spec.hosts) files.push_back({"hosts", hosts(*spec.hosts, diags), spec.hosts->loc});
  if (spec.hostname) files.push_back({"hostname", spec.hostname->value + "\n", spec.hostname->loc});
  return files;
}

void plan_netns_etc_files(PlannerContext& ctx, const std::string& netns, const EtcFilesSpec& spec) {
  for (const auto& f : etc_files(spec, ctx.diags))
    ctx.add(plan::WriteNetnsFile{netns, f.name, f.text}, f.loc, "/etc/netns/" + netns + "/" + f.name + " (ip netns exec binds it over /etc/" + f.name + ")");
}

void plan_etc_binds(const std::vector<EtcFile>& files, const std::string& staging,
                    const std::function<std::string(const std::string&)>& in_root,
                    const std::function<bool(const std::string&)>& in_profile_tmpfs, std::vector<plan::InsideStep>& inside) {
  if (files.empty()) return;
  // Mode 0700: nobody but nsplan's own process can reach the files before they are bound (the
  // tmpfs is new and exists only in this mount namespace, so nothing can be planted in it).
  // The state dir is nsplan's own, made by run before it starts (0700); the script makes it too.
  inside.push_back(plan::MakeMountPoint{staging, ""});
  inside.push_back(plan::Mount{plan::Mount::Type::Tmpfs, "tmpfs", staging, {"nosuid", "nodev", "noexec"}, "mode=0700", false});
  for (const auto& f : files) {
    std::string source = staging + "/" + f.name;
    std::string target = in_root("/etc/" + f.name);
    inside.push_back(plan::WriteFile{source, f.text, 0644});
    if (in_profile_tmpfs("/etc/" + f.name)) inside.push_back(plan::MakeMountPoint{target, source});
    inside.push_back(plan::Mount{plan::Mount::Type::Bind, source, target, {}, "", false});
    inside.push_back(plan::RemountReadOnly{target, false});
  }
  // The binds keep the tmpfs alive; the state dir shows its own files again.
  inside.push_back(plan::Unmount{staging});
}

}  // namespace nsplan
