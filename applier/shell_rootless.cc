#include "applier/shell_rootless.h"

#include "compiler/shell_quote.h"

namespace nsplan::applier {

std::string rootless_marks(const plan::Launch& l) {
  if (!l.rootless_net) return {};
  const plan::RootlessNet& r = *l.rootless_net;
  std::string out = "# nsplan run: starts " + r.program +
                    " the moment its child has made the namespaces, which waits on a pipe; this script\n"
                    "#   polls /proc/PID/ns/net from a background watcher and hands over through a FIFO\n"
                    "# nsplan run: keeps " + r.program +
                    " as its child, which dies with nsplan (parent-death signal SIGTERM), and stops it through a\n"
                    "#   pidfd; this script kills the pid it started\n";
  if (r.system_dirs_only)
    out += "# nsplan run: takes " + r.program + " from the system's directories only, at a file only root can change;\n"
           "#   this script from $PATH\n";
  return out;
}

std::string rootless_inner_wait(const plan::Launch& l) {
  if (!l.rootless_net) return {};
  // "fail" from the watcher (pasta could not configure the namespace): nothing runs, 125 as run.
  return "read -r nsplan_go < \"$NSPLAN_ROOTLESS_GO\"\n"
         "[ \"$nsplan_go\" = go ] || exit 125\n"
         "unset NSPLAN_ROOTLESS_GO nsplan_go\n";
}

// The command stays in the foreground, with the script's stdin and signals (an asynchronous
// command of sh would have /dev/null and ignore SIGINT): it writes its pid first, and the
// watcher in the background runs pasta on it once its net namespace is new.
std::string rootless_run(const plan::Launch& l, const std::string& command_line) {
  const plan::RootlessNet& r = *l.rootless_net;
  std::string helper = r.program;
  for (const auto& o : r.options) helper += " " + sh_quote(o);
  return "nsplan_rootless=$(mktemp -d)\n"
         "mkfifo \"$nsplan_rootless/go\"\n"
         "(\n"
         "  while [ ! -s \"$nsplan_rootless/child\" ] && [ ! -e \"$nsplan_rootless/done\" ]; do sleep 0.1; done\n"
         "  if nsplan_child=$(cat \"$nsplan_rootless/child\" 2>/dev/null); then\n"
         "    while [ \"$(readlink \"/proc/$nsplan_child/ns/net\")\" = \"$(readlink /proc/$$/ns/net)\" ]; do sleep 0.1; done\n"
         // In the foreground pasta writes its pid once it has configured the namespace, or exits.
         // The subshell around it records the pid it started (setsid execs pasta: same pid) and
         // says when it has exited, whatever its status (set -e). As run, go only when the pid
         // pasta wrote is that one, and stop only that one.
         "    ( setsid " + helper + " -P \"$nsplan_rootless/pid\" \"$nsplan_child\" & echo \"$!\" > \"$nsplan_rootless/helper\"\n"
         "      wait \"$!\" || :; touch \"$nsplan_rootless/exited\" ) &\n"
         // Both files: the subshell records the pid just after its fork, but a stalled subshell
         // could record it after pasta has written its own.
         "    while { [ ! -s \"$nsplan_rootless/pid\" ] || [ ! -s \"$nsplan_rootless/helper\" ]; } && [ ! -e \"$nsplan_rootless/exited\" ]; do sleep 0.1; done\n"
         "    nsplan_go=fail\n"
         "    if [ \"$(cat \"$nsplan_rootless/pid\" 2>/dev/null)\" = \"$(cat \"$nsplan_rootless/helper\")\" ]; then nsplan_go=go; fi\n"
         // After pasta (it refuses to start with SIGPIPE ignored): the command may be gone, and
         // the FIFO's reader with it.
         "    trap '' PIPE\n"
         "    echo \"$nsplan_go\" > \"$nsplan_rootless/go\"\n"
         "  fi\n"
         "  touch \"$nsplan_rootless/watched\"\n"
         ") &\n"
         "NSPLAN_ROOTLESS_GO=$nsplan_rootless/go sh -c 'echo \"$$\" > \"$1\" && shift && exec \"$@\"' nsplan-rootless "
         "\"$nsplan_rootless/child\" " + command_line + " || status=$?\n"
         // A watcher still blocked on the FIFO (the command ended before reading it) is let go.
         "touch \"$nsplan_rootless/done\"\n"
         "while [ ! -e \"$nsplan_rootless/watched\" ]; do : <> \"$nsplan_rootless/go\"; sleep 0.1; done\n"
         "wait\n"
         "if [ -s \"$nsplan_rootless/helper\" ]; then\n"
         "  [ -e \"$nsplan_rootless/exited\" ] || kill \"$(cat \"$nsplan_rootless/helper\")\" || :\n"
         "  while [ ! -e \"$nsplan_rootless/exited\" ]; do sleep 0.1; done\n"
         "fi\n"
         "rm -r \"$nsplan_rootless\"\n";
}

std::string rootless_line(const plan::RootlessNet& r) {
  std::string line = "rootless network: " + r.program;
  for (const auto& o : r.options) line += " " + o;
  return line + " PID";
}

}  // namespace nsplan::applier
