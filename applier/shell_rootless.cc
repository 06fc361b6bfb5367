#include "applier/shell_rootless.h"

#include "compiler/shell_quote.h"

namespace nsplan::applier {

std::string rootless_marks(const plan::Launch& l) {
  if (!l.rootless_net) return {};
  return "# nsplan run: starts " + l.rootless_net->program +
         " the moment its child has made the namespaces, which waits on a pipe; this script polls\n"
         "#   /proc/PID/ns/net for the new namespace and hands over through a FIFO in a temporary directory\n"
         "# nsplan run: stops " + l.rootless_net->program +
         " through a pidfd after checking it is still that process; this script kills the pid it wrote\n" +
         (l.rootless_net->system_dirs_only ? "# nsplan run: takes " + l.rootless_net->program +
                                                 " from the system's directories only, at a file only root can change;\n"
                                                 "#   this script from $PATH\n"
                                           : "");
}

std::string rootless_inner_wait(const plan::Launch& l) {
  if (!l.rootless_net) return {};
  return "read -r _ < \"$NSPLAN_ROOTLESS_GO\"\nunset NSPLAN_ROOTLESS_GO\n";
}

std::string rootless_run(const plan::Launch& l, const std::string& command_line) {
  const plan::RootlessNet& r = *l.rootless_net;
  std::string helper = r.program;
  for (const auto& o : r.options) helper += " " + sh_quote(o);
  return "nsplan_rootless=$(mktemp -d)\n"
         "mkfifo \"$nsplan_rootless/go\"\n"
         "NSPLAN_ROOTLESS_GO=$nsplan_rootless/go " + command_line + " &\n"
         "nsplan_child=$!\n"
         "while [ \"$(readlink \"/proc/$nsplan_child/ns/net\")\" = \"$(readlink /proc/$$/ns/net)\" ]; do sleep 0.1; done\n"
         "if " + helper + " -P \"$nsplan_rootless/pid\" \"$nsplan_child\"; then\n"
         "  echo go > \"$nsplan_rootless/go\"\n"
         "  wait \"$nsplan_child\" || status=$?\n"
         "  kill \"$(cat \"$nsplan_rootless/pid\")\"\n"
         "else\n"
         "  status=125\n"
         "  kill -KILL \"$nsplan_child\" 2>/dev/null || :\n"
         "  wait \"$nsplan_child\" || :\n"
         "fi\n"
         "rm -r \"$nsplan_rootless\"\n";
}

std::string rootless_line(const plan::RootlessNet& r) {
  std::string line = "rootless network: " + r.program;
  for (const auto& o : r.options) line += " " + o;
  return line + " PID";
}

}  // namespace nsplan::applier
