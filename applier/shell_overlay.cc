#include "applier/shell_overlay.h"

#include <cstdio>

#include "applier/shell_files.h"
#include "compiler/shell_quote.h"

namespace nsplan::applier {
namespace {

std::string fail(const std::string& message) { return "{ echo " + message + " >&2; exit 1; }"; }

}  // namespace

std::string render_mount_overlay(const plan::MountOverlay& o) {
  std::string dirs, lower;
  for (const auto& d : o.lower) {
    dirs += " " + sh_quote(d);
    lower += (lower.empty() ? "" : ":") + d;
  }
  std::string options = (o.upper.empty() ? "ro,lowerdir=" : "lowerdir=") + lower;
  if (!o.upper.empty()) {
    dirs += " " + sh_quote(o.upper) + " " + sh_quote(o.work);
    options += ",upperdir=" + o.upper + ",workdir=" + o.work;
  }
  return "for d in" + dirs + "; do [ ! -L \"$d\" ] && [ -d \"$d\" ] || " +
         fail("\"nsplan: error: overlay on \"" + sh_quote(o.target) + "\": $d is a symbolic link or not a directory\"") +
         "; done\nmount -t overlay -o " + sh_quote(options) + " overlay " + sh_quote(o.target) + "\n";
}

std::string render_create_path(const plan::CreatePath& c) {
  using K = plan::CreatePath::Kind;
  std::string out, parents;
  for (size_t slash = c.path.find('/', 1); slash != std::string::npos; slash = c.path.find('/', slash + 1))
    parents += " " + sh_quote(c.path.substr(0, slash));
  const std::string path = sh_quote(c.path);
  if (!parents.empty())
    out += "# nsplan run: opens each directory on the way with O_NOFOLLOW; sh checks them first\n"
           "for p in" + parents + "; do [ ! -L \"$p\" ] || " +
           fail("\"nsplan: error: create \"" + path + "\": $p is a symbolic link; nsplan does not follow it\"") + "; done\n";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", c.mode & 07777u);
  switch (c.kind) {
    case K::Dir: return out + "mkdir -m " + mode + " " + path + "\n";
    case K::File: return out + render_write_file(plan::WriteFile{c.path, c.text, c.mode});
    case K::Symlink:
      return out + "[ ! -e " + path + " ] && [ ! -L " + path + " ] || " +
             fail(sh_quote("nsplan: error: " + c.path + " exists already; nsplan never replaces what is there")) + "\nln -s " +
             sh_quote(c.target) + " " + path + "\n";
  }
  return out;
}

}  // namespace nsplan::applier
