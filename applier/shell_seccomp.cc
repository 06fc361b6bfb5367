#include "applier/shell_seccomp.h"

#include "applier/shell_rootless.h"
#include "compiler/shell_quote.h"

namespace nsplan::applier {
namespace {

// "deny list: these 3 syscalls fail with EPERM, every other one runs" and the like.
std::string filter_summary(const plan::SeccompFilter& f) {
  const bool one = f.allow_list;  // the effect is said of "every other one" (singular) or "these" (plural)
  std::string effect = f.action == "errno" ? (one ? "fails with " : "fail with ") + f.errno_name
                       : f.action == "kill" ? (one ? "kills" : "kill") + std::string(" the process (SIGSYS)")
                       : f.action == "trap" ? (one ? "raises" : "raise") + std::string(" SIGSYS")
                                            : (one ? "runs and is" : "run and are") + std::string(" logged");
  std::string n = std::to_string(f.syscalls.size());
  return f.allow_list ? "allow list: these " + n + " syscalls run, every other one " + effect
                      : "deny list: these " + n + " syscalls " + effect + ", every other one runs";
}

std::string wrapped_names(const std::vector<std::string>& names) {
  std::string out, line = "#  ";
  for (const auto& n : names) {
    if (line.size() + n.size() + 1 > 100) {
      out += line + "\n";
      line = "#  ";
    }
    line += " " + n;
  }
  return out + line + "\n";
}

}  // namespace

std::string render_process_marks(const plan::Launch& l) {
  std::string out;
  if (l.init)
    out += "# nsplan run: its own init is PID 1 of the new pid namespace (reaps orphans, passes signals on, exits\n"
           "#   with the command's status, 128+N after signal N) and the command its child; here the command is PID 1\n";
  if (l.seccomp) {
    const plan::SeccompFilter& f = *l.seccomp;
    out += "# nsplan run: installs a seccomp filter right before exec (native ABI only, any other kills); sh cannot.\n"
           "#   " + sh_comment_text(filter_summary(f)) + ":\n" + wrapped_names(f.syscalls);
  }
  return out;
}

std::vector<std::string> process_lines(const plan::Launch& l) {
  std::vector<std::string> out;
  if (l.init) out.push_back("nsplan's init is PID 1, the command its child");
  if (l.seccomp) {
    std::string names;
    for (const auto& n : l.seccomp->syscalls) names += " " + n;
    out.push_back("seccomp " + filter_summary(*l.seccomp) + ":" + names);
  }
  if (l.rootless_net) out.push_back(rootless_line(*l.rootless_net));
  return out;
}

std::vector<NotInSh> process_not_in_sh(const plan::Launch& l) {
  std::vector<NotInSh> out;
  if (l.init)
    out.push_back({l.init->origin.where, "a POSIX sh script has no init to run as PID 1 of the new pid namespace (run.init)"});
  if (l.seccomp) out.push_back({l.seccomp->origin.where, "a POSIX sh script cannot install a seccomp filter (run.seccomp)"});
  if (l.rootless_net)
    out.push_back({l.rootless_net->origin.where,
                   "a POSIX sh script cannot hold the command until pasta has configured its namespace, nor stop pasta by a pidfd "
                   "(namespaces.net.rootless)"});
  return out;
}

}  // namespace nsplan::applier
