// namespaces.mnt's overlay mounts and the directories, symbolic links and files nsplan creates
// inside the new mount namespace (mnt.overlay, mnt.dirs, mnt.symlinks, mnt.files): their checks
// at the key and the launch steps they become (plan.h: MountOverlay, CreatePath).
#pragma once
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "schema/model.h"

namespace nsplan {

// Located errors for what the kernel or a safe walk would refuse later: a ':', ',' or '\' in an
// overlay directory (its option syntax), upper without work or the reverse, work inside upper
// (or upper inside work), an empty lower list; a created path that is "/", has "." or ".."
// components, is given twice or lies below a file or symbolic link of the profile; a NUL or
// line break where a path or link target cannot carry it.
void check_mnt_created(const MntNamespaceSpec& m, Diagnostics& diags);

// Whether M asks for any of the above (they need a new mount namespace).
bool has_mnt_created(const MntNamespaceSpec& m);

// The steps of one overlay on TARGET (a path in the new root when there is one). With
// upper: tmpfs, a private tmpfs is mounted on STAGING (the state dir), upper and work made in it,
// the overlay mounted, and the tmpfs detached (the overlay keeps it, until the namespace ends).
void plan_overlay(const OverlayMount& o, const std::string& target, const std::string& staging,
                  std::vector<plan::InsideStep>& inside);

// The dirs, then the files, then the symbolic links, in the profile's order, each at IN_ROOT(path).
template <class InRoot>
void plan_created_paths(const MntNamespaceSpec& m, const InRoot& in_root, std::vector<plan::InsideStep>& inside);

// The octal mode text of the schema ("755", "1777") as a number.
uint32_t octal_mode(const std::string& text);

template <class InRoot>
void plan_created_paths(const MntNamespaceSpec& m, const InRoot& in_root, std::vector<plan::InsideStep>& inside) {
  using K = plan::CreatePath::Kind;
  for (const auto& d : m.dirs)
    inside.push_back(plan::CreatePath{K::Dir, in_root(d.path.value), "", "", d.mode ? octal_mode(d.mode->value) : 0755u});
  for (const auto& f : m.files)
    inside.push_back(plan::CreatePath{K::File, in_root(f.path.value), "", f.text ? f.text->value : "",
                                      f.mode ? octal_mode(f.mode->value) : 0644u});
  for (const auto& s : m.symlinks)
    inside.push_back(plan::CreatePath{K::Symlink, in_root(s.path.value), s.target ? s.target->value : "", "", 0});
}

}  // namespace nsplan
