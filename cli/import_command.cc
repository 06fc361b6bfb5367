// nsplan import cgconfig FILE [-o DIR]: a libcgroup cgconfig.conf as nsplan profiles
// (compiler/cgconfig_import.h, docs/import.md). Reads FILE and this host's cgroup mounts (to
// check the mount sections); writes only DIR/NAME.yaml, and only when the whole file imported.
#include <sys/stat.h>

#include <iostream>

#include "applier/files.h"
#include "applier/probe.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "compiler/cgconfig_import.h"
#include "compiler/escape.h"

namespace nsplan::cli {
namespace {

void print(const Diagnostics& diags, const SourceManager& sources) {
  Diagnostics shown;
  for (const auto& d : diags.all())
    if (!log::quiet() || d.severity == Severity::Error) shown.add(d);
  std::cerr << log::colour_diagnostics(render_all(shown, sources));
}

bool same_directory(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return a == b;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Each profile read back as nsplan reads a profile file: what the import wrote must be a
// profile nsplan takes (a value out of range, such as cpu.shares = 1, is found here).
bool check_profiles(const cgconfig::ImportResult& result) {
  bool ok = true;
  for (const auto& p : result.profiles) {
    const std::string file = p.name + ".yaml";
    FileReader reader = [&](const FileRequest& request) {
      FileContent c;
      if (request.path != file) {
        c.error = "No such file or directory";
        c.missing = true;
        return c;
      }
      c.ok = true;
      c.text = p.text;
      c.identity = file;
      return c;
    };
    auto c = check_file(file, reader, LoadOptions{.search_path = {}, .names_in = {}, .max_files = 1, .max_depth = 1});
    if (c->diags.all().empty()) continue;
    if (c->diags.has_errors()) ok = false;
    if (c->diags.has_errors() || !log::quiet())
      std::cerr << "nsplan: in the profile made of group " << text::escaped(p.group) << " ("
                << result.sources.describe(p.group_loc) << "):\n";
    print(c->diags, c->sources);
  }
  return ok;
}

}  // namespace

int run_import_cgconfig(const std::string& file, const ImportCommandOptions& o) {
  FileContent content = applier::read_profile_file(file);
  if (!content.ok) {
    std::cerr << "nsplan: error: " << text::escaped(file) << ": " << content.error << "\n";
    if (!content.hint.empty()) std::cerr << "  hint: " << content.hint << "\n";
    return kInvalidProfile;
  }
  cgconfig::ImportOptions options;
  options.strict = o.strict;
  auto probe = applier::probe_host(o.cgroup_root.empty() ? "/sys/fs/cgroup" : o.cgroup_root);
  if (probe.ok) {
    options.host = probe.facts;
    options.same_directory = same_directory;
  } else if (!log::quiet()) {
    std::cerr << "nsplan: warning: this host's cgroup hierarchies could not be told (" << probe.error
              << "): the mount sections are not checked\n";
  }
  auto result = cgconfig::import_cgconfig(file, content.text, options);
  print(result.diags, result.sources);
  const bool profiles_ok = check_profiles(result);
  if (result.diags.has_errors() || !profiles_ok) return kInvalidProfile;

  if (result.profiles.empty() && !log::quiet())
    std::cerr << "nsplan: warning: " << text::escaped(file) << " has no group nsplan imports: no profile made\n";
  if (o.out_dir.empty()) {
    for (size_t i = 0; i < result.profiles.size(); ++i) std::cout << (i ? "---\n" : "") << result.profiles[i].text;
    return kOk;
  }
  struct stat st {};
  if (::stat(o.out_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::cerr << "nsplan: error: " << text::escaped(o.out_dir) << " is not a directory\n  hint: make it first\n";
    return kUsage;
  }
  // Nothing is written unless every file may be: an existing one (or anything planted under
  // its name, a symbolic link included) is refused without --force.
  const std::string dir = o.out_dir.back() == '/' ? o.out_dir : o.out_dir + "/";
  bool refused = false;
  for (const auto& p : result.profiles) {
    if (!o.force && ::lstat((dir + p.name + ".yaml").c_str(), &st) == 0) {
      std::cerr << "nsplan: error: " << text::escaped(dir + p.name) << ".yaml exists\n"
                << "  hint: --force replaces it\n";
      refused = true;
    }
  }
  if (refused) return kUsage;
  for (const auto& p : result.profiles) {
    const std::string path = dir + p.name + ".yaml";
    // Through a new file renamed over PATH: a symbolic link there is replaced, never followed.
    if (auto s = applier::write_file_replacing(path, p.text); !s.ok()) {
      std::cerr << "nsplan: error: " << text::escaped(s.message()) << "\n";
      return kSystem;
    }
    if (!log::quiet()) std::cout << "wrote " << text::escaped(path) << "\n";
  }
  return kOk;
}

}  // namespace nsplan::cli
