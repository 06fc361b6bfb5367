#include "compiler/mount_overlay.h"

#include <set>

namespace nsplan {
namespace {

// Whether PATH is ANCESTOR itself or lies below it ("/a" holds "/a" and "/a/b", not "/ab").
bool at_or_below(const std::string& path, const std::string& ancestor) {
  if (ancestor == "/") return true;
  return path == ancestor || (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
                              path[ancestor.size()] == '/');
}

// overlayfs splits its options at ',' and lowerdir at ':', and takes '\' as an escape: a path
// holding one cannot be written as it is.
void check_overlay_dir(const Located<std::string>& dir, const std::string& key, Diagnostics& diags) {
  if (dir.value.find_first_of(":,\\") != std::string::npos)
    diags.error(dir.loc, "overlay " + key + " " + dir.value + " holds a ':', ',' or '\\', which overlay's mount options cannot carry",
                "bind the directory to a path without them first, or rename it");
  else if (dir.value.find_first_of("\n\t") != std::string::npos)
    diags.error(dir.loc, "overlay " + key + " holds a line break or tab", "name a directory without them");
}

void check_overlay(const OverlayMount& o, Diagnostics& diags) {
  if (o.lower.empty()) diags.error(o.loc, "an overlay needs at least one lower directory", "write lower: [/path, ...], top first");
  for (const auto& l : o.lower) check_overlay_dir(l, "lower", diags);
  const bool tmpfs_upper = o.upper && o.upper->value == "tmpfs";
  if (o.upper && !tmpfs_upper) {
    if (o.upper->value.empty() || o.upper->value[0] != '/')
      diags.error(o.upper->loc, "overlay upper is an absolute path or tmpfs, got \"" + o.upper->value + "\"",
                  "write upper: /path (with work: /path), or upper: tmpfs for writes that go with the namespace");
    else
      check_overlay_dir(*o.upper, "upper", diags);
  }
  if (o.work) check_overlay_dir(*o.work, "work", diags);
  if (tmpfs_upper && o.work)
    diags.error(o.work->loc, "with upper: tmpfs, nsplan makes the work directory in that tmpfs", "leave work out");
  else if (o.upper && !tmpfs_upper && !o.work)
    diags.error(o.upper->loc, "an overlay's upper needs a work directory", "add work: an empty directory on upper's file system, outside upper");
  else if (o.work && !o.upper)
    diags.error(o.work->loc, "an overlay's work directory goes with an upper one", "add upper, or leave work out for a read-only overlay");
  else if (o.upper && o.work && !tmpfs_upper && o.upper->value.size() && o.upper->value[0] == '/') {
    if (at_or_below(o.work->value, o.upper->value) || at_or_below(o.upper->value, o.work->value))
      diags.error(o.work->loc, "overlay work " + o.work->value + " and upper " + o.upper->value + " overlap; the kernel refuses that",
                  "give work its own directory beside upper, on the same file system");
  }
  // overlayfs refuses it: "at least 2 lowerdir are needed while upperdir nonexistent".
  if (!o.upper && !o.work && o.lower.size() == 1)
    diags.error(o.lower[0].loc, "a read-only overlay needs at least two lower directories",
                "a bind mount with read_only: true shows one directory; or add upper and work");
}

// A path the safe walk can take: no "." or ".." component, no empty one, not "/".
void check_created_path(const Located<std::string>& p, const std::string& key, Diagnostics& diags) {
  const std::string& s = p.value;
  if (s == "/") {
    diags.error(p.loc, "mnt." + key + " cannot create \"/\"", "name a path below it");
    return;
  }
  bool bad = s.back() == '/' || s.find("//") != std::string::npos;
  for (size_t start = 1; !bad && start <= s.size();) {
    size_t slash = s.find('/', start);
    std::string part = s.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    bad = part == "." || part == "..";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (bad) diags.error(p.loc, "mnt." + key + " path " + s + " has an empty, '.' or '..' component", "write the path plainly: /dir/name");
}

}  // namespace

uint32_t octal_mode(const std::string& text) { return static_cast<uint32_t>(std::stoul(text, nullptr, 8)) & 07777u; }

bool has_mnt_created(const MntNamespaceSpec& m) {
  return !m.overlay.empty() || !m.dirs.empty() || !m.symlinks.empty() || !m.files.empty();
}

void check_mnt_created(const MntNamespaceSpec& m, Diagnostics& diags) {
  for (const auto& o : m.overlay) check_overlay(o, diags);
  std::set<std::string> seen;
  // Files and links are leaves: nothing the profile creates can be below them.
  std::vector<std::string> leaves;
  auto created = [&](const Located<std::string>& p, const std::string& key) {
    if (p.value.empty()) return;  // not a path: the reader has said so at its key
    check_created_path(p, key, diags);
    if (!seen.insert(p.value).second)
      diags.error(p.loc, "mnt." + key + " creates " + p.value + ", which the profile creates already", "name it once");
  };
  for (const auto& d : m.dirs) created(d.path, "dirs");
  for (const auto& f : m.files) {
    created(f.path, "files");
    if (f.text && f.text->value.find('\0') != std::string::npos)
      diags.error(f.text->loc, "a file's text cannot hold a NUL byte", "write text only; binary files come in by a bind mount");
    leaves.push_back(f.path.value);
  }
  for (const auto& s : m.symlinks) {
    created(s.path, "symlinks");
    if (s.target && (s.target->value.empty() || s.target->value.find_first_of(std::string("\n\0", 2)) != std::string::npos))
      diags.error(s.target->loc, "a symbolic link's target is one line of text, not empty", "write target: /path/it/points/to");
    leaves.push_back(s.path.value);
  }
  auto below_leaf = [&](const Located<std::string>& p, const std::string& key) {
    for (const auto& leaf : leaves)
      if (!leaf.empty() && !p.value.empty() && p.value != leaf && at_or_below(p.value, leaf))
        diags.error(p.loc, "mnt." + key + " path " + p.value + " lies below " + leaf + ", a file or symbolic link of the profile",
                    "nsplan never creates anything through a symbolic link; name the real path");
  };
  for (const auto& d : m.dirs) below_leaf(d.path, "dirs");
  for (const auto& f : m.files) below_leaf(f.path, "files");
  for (const auto& s : m.symlinks) below_leaf(s.path, "symlinks");
}

void plan_overlay(const OverlayMount& o, const std::string& target, const std::string& staging,
                  std::vector<plan::InsideStep>& inside) {
  plan::MountOverlay step{target, {}, "", ""};
  for (const auto& l : o.lower) step.lower.push_back(l.value);
  const bool tmpfs_upper = o.upper && o.upper->value == "tmpfs";
  if (!tmpfs_upper) {
    if (o.upper) step.upper = o.upper->value;
    if (o.work) step.work = o.work->value;
    inside.push_back(std::move(step));
    return;
  }
  // The tmpfs is mounted where nothing needs to be seen (the state dir), then detached: no path
  // reaches it afterwards, and it goes with the namespace.
  inside.push_back(plan::MakeMountPoint{staging, ""});
  inside.push_back(plan::Mount{plan::Mount::Type::Tmpfs, "tmpfs", staging, {"nosuid", "nodev"}, "mode=0755", false});
  step.upper = staging + "/upper";
  step.work = staging + "/work";
  inside.push_back(plan::MakeMountPoint{step.upper, ""});
  inside.push_back(plan::MakeMountPoint{step.work, ""});
  inside.push_back(std::move(step));
  inside.push_back(plan::Unmount{staging});
}

}  // namespace nsplan
