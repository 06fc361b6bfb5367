#include "compiler/rootless_net.h"

namespace nsplan {

void check_rootless_net(const Profile& p, Diagnostics& diags) {
  if (!p.namespaces || !p.namespaces->net || !p.namespaces->net->rootless) return;
  const NamespacesSpec& ns = *p.namespaces;
  const NetNamespaceSpec& net = *ns.net;
  const SourceLoc at = net.rootless->loc;
  // pasta configures the namespace it is pointed at: a persisted or joined one may be the
  // host's or another profile's, and outlives the helper nsplan stops with the command.
  if (net.join || net.path || net.persist)
    diags.error(at, "rootless applies to a new, unnamed net namespace, not with join, path or persist",
                "drop rootless, or drop " + std::string(net.join ? "join" : net.path ? "path" : "persist"));
  // Without a user namespace of its own the net namespace belongs to the caller's: the caller
  // then needs CAP_NET_ADMIN anyway, and pasta could not join it as an unprivileged user.
  if (!ns.user || ns.user->join || ns.user->path)
    diags.error(at, "rootless needs a new user namespace owning the new net namespace",
                "add `user: {}` to namespaces");
  if (!p.run)
    diags.error(at, "rootless networking lives as long as the command of run, and this profile has no run",
                "add run: {command: [...]}; apply makes no helper process");
}

std::optional<plan::RootlessNet> plan_rootless_net(const PlannerContext& ctx) {
  const Profile& p = ctx.profile;
  if (!p.namespaces || !p.namespaces->net || !p.namespaces->net->rootless) return std::nullopt;
  const auto& key = *p.namespaces->net->rootless;
  plan::RootlessNet r;
  r.origin = ctx.origin(key.loc, "rootless network through " + key.value);
  r.program = "pasta";
  // Addresses and routes copied from the host (--config-net); no port of the host or the
  // namespace is forwarded (-t/-u/-T/-U none): the command reaches out, nothing reaches in,
  // and the host's loopback only at the gateway address.
  // In the foreground (--foreground) pasta stays the child of whoever started it, so that it can
  // die with nsplan; it writes its pid file once the namespace is configured.
  r.options = {"--foreground", "--config-net", "--quiet", "-t", "none", "-u", "none", "-T", "none", "-U", "none"};
  // pasta started by root becomes nobody by default, and nobody cannot enter the user namespace
  // that root's child made. It keeps uid 0 instead; in the namespace it joins it holds only the
  // capabilities it needs, and it confines itself as always (pasta(1)).
  if (ctx.facts.caller_root) r.options.insert(r.options.begin(), {"--runas", "0:0"});
  r.system_dirs_only = ctx.facts.caller_root;
  return r;
}

}  // namespace nsplan
