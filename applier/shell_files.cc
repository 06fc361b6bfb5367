#include "applier/shell_files.h"

#include <cstdio>

#include "compiler/shell_quote.h"

namespace nsplan::applier {

std::string render_write_file(const plan::WriteFile& w) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", w.mode & 07777u);
  std::string path = sh_quote(w.path);
  return "(set -C && printf '%s' " + sh_quote(w.text) + " > " + path + ")\nchmod " + mode + " " + path + "\n";
}

std::string render_netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) {
  std::string dir = "/etc/netns/" + netns;
  return "# nsplan apply: refuses a /etc/netns or " + sh_comment_text(dir) +
         " that is a symbolic link or not root's alone; mkdir -p follows it\n"
         "mkdir -p /etc/netns\n[ -d " + sh_quote(dir) + " ] || mkdir -m 0755 " + sh_quote(dir) + "\n" +
         render_write_file(plan::WriteFile{dir + "/" + file, text, 0644});
}

std::string render_netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) {
  std::string dir = "/etc/netns/" + netns;
  std::string out = "rm -f " + sh_quote(dir + "/" + file) + "\n";
  if (dir_too) out += "rmdir " + sh_quote(dir) + " 2> /dev/null || true\n";
  return out;
}

}  // namespace nsplan::applier
