// namespaces.mnt overlay, dirs, symlinks and files: checks at the key, the steps run takes, and
// their sh.
#include <gtest/gtest.h>

#include "applier/shell_launch.h"
#include "compiler/export_oci.h"
#include "compiler/export_systemd.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

std::string errors(const std::string& mnt) {
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces:\n  mnt: " + mnt + "\nrun: {command: [sh]}\n");
  return c->ok() ? "" : render_all(c->diags, c->sources);
}

// One line per step of ours or a mount/unmount around it.
std::vector<std::string> lines(const plan::Launch& l) {
  std::vector<std::string> out;
  for (const auto& s : l.inside) {
    if (auto* o = std::get_if<plan::MountOverlay>(&s)) {
      std::string lower;
      for (const auto& d : o->lower) lower += (lower.empty() ? "" : ":") + d;
      out.push_back("overlay " + o->target + " " + lower + " " + o->upper + " " + o->work);
    } else if (auto* c = std::get_if<plan::CreatePath>(&s)) {
      const char* kind[] = {"dir", "symlink", "file"};
      out.push_back(std::string(kind[static_cast<int>(c->kind)]) + " " + c->path + " " + std::to_string(c->mode) + " " + c->target + c->text);
    } else if (auto* m = std::get_if<plan::Mount>(&s)) {
      out.push_back("mount " + m->source + " " + m->target + " " + m->data);
    } else if (auto* p = std::get_if<plan::MakeMountPoint>(&s)) {
      out.push_back("mkpoint " + p->path);
    } else if (auto* u = std::get_if<plan::Unmount>(&s)) {
      out.push_back("umount " + u->target);
    } else if (std::holds_alternative<plan::PivotRoot>(s)) {
      out.push_back("pivot");
    }
  }
  return out;
}

TEST(MountOverlay, TmpfsUpperIsMadeAsideAndDetached) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt:
    overlay:
      - {target: /opt/a, lower: [/srv/top, /srv/base], upper: tmpfs}
      - {target: /opt/b, lower: [/srv/b], upper: /srv/u, work: /srv/w}
      - {target: /opt/c, lower: [/srv/c1, /srv/c2]}
    dirs: [{path: /opt/a/d, mode: "0700"}]
    files: [{path: /opt/a/d/f, text: "hi\n"}]
    symlinks: [{path: /opt/a/l, target: d/f}]
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::vector<std::string> want = {
      "mkpoint /run/nsplan", "mount tmpfs /run/nsplan mode=0755", "mkpoint /run/nsplan/upper", "mkpoint /run/nsplan/work",
      "overlay /opt/a /srv/top:/srv/base /run/nsplan/upper /run/nsplan/work", "umount /run/nsplan",
      "overlay /opt/b /srv/b /srv/u /srv/w",
      "overlay /opt/c /srv/c1:/srv/c2  ",
      // After the mounts: dirs, files, symlinks.
      "dir /opt/a/d 448 ", "file /opt/a/d/f 420 hi\n", "symlink /opt/a/l 0 d/f",
  };
  EXPECT_EQ(lines(*c->plan->launch), want);
}

TEST(MountOverlay, InTheNewRootBeforePivot) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt:
    root: /srv/j
    tmpfs: [{path: /tmp}]
    overlay: [{target: /tmp/o, lower: [/srv/l1, /srv/l2]}]
    dirs: [{path: /tmp/d}]
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto got = lines(*c->plan->launch);
  auto at = [&](const std::string& line) { return std::find(got.begin(), got.end(), line) - got.begin(); };
  // The overlay's mount point is made in the profile's tmpfs, the dir after it, all before pivot_root.
  EXPECT_LT(at("mount tmpfs /srv/j/tmp mode=1777"), at("mkpoint /srv/j/tmp/o"));
  EXPECT_LT(at("mkpoint /srv/j/tmp/o"), at("overlay /srv/j/tmp/o /srv/l1:/srv/l2  "));
  EXPECT_LT(at("overlay /srv/j/tmp/o /srv/l1:/srv/l2  "), at("dir /srv/j/tmp/d 493 "));
  EXPECT_LT(at("dir /srv/j/tmp/d 493 "), at("pivot"));
  EXPECT_LT(at("pivot"), static_cast<long>(got.size()));
}

TEST(MountOverlay, LocatedErrors) {
  std::string e = errors("{overlay: [{target: /o, lower: [\"/a:b\"]}]}");
  EXPECT_NE(e.find("p.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot carry"), std::string::npos) << e;
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [\"/a,b\"]}]}").find("cannot carry"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], upper: \"/u,x\", work: /w}]}").find("cannot carry"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: []}]}").find("at least one lower"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o}]}"), "");
  EXPECT_NE(errors("{overlay: [{target: o, lower: [/a]}]}"), "");
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [a]}]}"), "");
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a]}]}").find("at least two lower"), std::string::npos);
  EXPECT_EQ(errors("{overlay: [{target: /o, lower: [/a, /b]}]}"), "");
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], upper: /u}]}").find("needs a work"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], work: /w}]}").find("goes with an upper"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], upper: tmpfs, work: /w}]}").find("leave work out"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], upper: relative, work: /w}]}").find("absolute path or tmpfs"), std::string::npos);
  EXPECT_NE(errors("{overlay: [{target: /o, lower: [/a], upper: /u, work: /u/w}]}").find("overlap"), std::string::npos);
  EXPECT_EQ(errors("{overlay: [{target: /o, lower: [/a], upper: /u, work: /uw}]}"), "");

  EXPECT_NE(errors("{dirs: [{path: /}]}").find("cannot create \"/\""), std::string::npos);
  EXPECT_NE(errors("{dirs: [{path: /a/../b}]}").find("'..'"), std::string::npos);
  EXPECT_NE(errors("{dirs: [{path: /a/}]}").find("empty"), std::string::npos);
  EXPECT_NE(errors("{dirs: [{path: /a, mode: \"8\"}]}"), "");
  EXPECT_NE(errors("{dirs: [{path: /a, mode: \"17777\"}]}"), "");
  EXPECT_NE(errors("{dirs: [{path: /a}], files: [{path: /a}]}").find("creates already"), std::string::npos);
  EXPECT_NE(errors("{symlinks: [{path: /l, target: /x}], files: [{path: /l/f}]}").find("lies below /l"), std::string::npos);
  EXPECT_NE(errors("{files: [{path: /f, text: \"a\\0b\"}]}"), "");
  EXPECT_NE(errors("{symlinks: [{path: /l}]}"), "");
  EXPECT_NE(errors("{symlinks: [{path: /l, target: \"\"}]}").find("one line"), std::string::npos);
  // Never on the host: a joined mount namespace is not made by nsplan.
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt: {path: /proc/1/ns/mnt, dirs: [{path: /a}]}
run: {command: [sh]}
)");
  EXPECT_NE(render_all(c->diags, c->sources).find("never on the host"), std::string::npos) << render_all(c->diags, c->sources);
}

// As mount points: created only on the profile's own mounts, never on one of the host's file
// systems (where the file would outlive the namespace); a read-only overlay takes no writes.
TEST(MountOverlay, PathsAreCreatedOnlyOnTheProfilesOwnMounts) {
  EXPECT_EQ(errors("{tmpfs: [{path: /t}], dirs: [{path: /t/d}], files: [{path: /t/d/f}], symlinks: [{path: /t/l, target: d}]}"), "");
  EXPECT_EQ(errors("{overlay: [{target: /o, lower: [/l], upper: tmpfs}], files: [{path: /o/f}]}"), "");
  EXPECT_EQ(errors("{dev: true, symlinks: [{path: /dev/core, target: /proc/kcore}]}"), "");
  std::string e = errors("{dirs: [{path: /srv/d}]}");
  EXPECT_NE(e.find("directory /srv/d would be made on a file system of the host"), std::string::npos) << e;
  e = errors("{tmpfs: [{path: /t}], files: [{path: /t}]}");  // the tmpfs's own mount point is the host's
  EXPECT_NE(e.find("file /t would be made on a file system of the host"), std::string::npos) << e;
  e = errors("{overlay: [{target: /o, lower: [/a, /b]}], symlinks: [{path: /o/l, target: x}]}");
  EXPECT_NE(e.find("symbolic link /o/l would be made on a file system of the host"), std::string::npos) << e;
}

// A path the reader refused is reported once, at its key (the fuzzer found the check reading
// past an empty one, and a "creates already" error with no location for two of them).
TEST(MountOverlay, AnEmptyPathIsReportedOnceAtItsKey) {
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces:\n  mnt:\n    dirs: [{path: \"\"}]\n    files: [{path: }, {path: /t/f}]\n"
                        "    symlinks: [{path: \"\", target: x}]\nrun: {command: [sh]}\n");
  std::vector<std::string> messages;
  for (const auto& d : c->diags.all()) {
    EXPECT_TRUE(d.loc.valid()) << d.message;
    messages.push_back(std::to_string(d.loc.line) + ": " + d.message);
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"5: 'path' must be an absolute path, got ''",
                                                "6: expected an absolute path for 'path', got nothing",
                                                "7: 'path' must be an absolute path, got ''"}))
      << render_all(c->diags, c->sources);
}

TEST(MountOverlay, Shell) {
  EXPECT_EQ(applier::render_inside_step(plan::MountOverlay{"/o", {"/a", "/b"}, "", ""}),
            "for d in '/a' '/b'; do [ ! -L \"$d\" ] && [ -d \"$d\" ] || { echo \"nsplan: error: overlay on \"'/o'\": $d is a "
            "symbolic link or not a directory\" >&2; exit 1; }; done\n"
            "mount -t overlay -o 'ro,lowerdir=/a:/b' overlay '/o'\n");
  EXPECT_NE(applier::render_inside_step(plan::MountOverlay{"/o", {"/a"}, "/u", "/w"})
                .find("mount -t overlay -o 'lowerdir=/a,upperdir=/u,workdir=/w' overlay '/o'\n"),
            std::string::npos);
  using K = plan::CreatePath::Kind;
  std::string dir = applier::render_inside_step(plan::CreatePath{K::Dir, "/a/b c/d", "", "", 0700});
  EXPECT_NE(dir.find("for p in '/a' '/a/b c'; do [ ! -L \"$p\" ] ||"), std::string::npos) << dir;
  EXPECT_NE(dir.find("\nmkdir -m 0700 '/a/b c/d'\n"), std::string::npos) << dir;
  EXPECT_EQ(applier::render_inside_step(plan::CreatePath{K::File, "/f", "", "it's\n", 0600}),
            "(set -C && printf '%s' 'it'\\''s\n' > '/f')\nchmod 0600 '/f'\n");
  EXPECT_EQ(applier::render_inside_step(plan::CreatePath{K::Symlink, "/l", "t", "", 0}),
            "[ ! -e '/l' ] && [ ! -L '/l' ] || { echo 'nsplan: error: /l exists already; nsplan never replaces what is there' >&2; "
            "exit 1; }\nln -s 't' '/l'\n");
}

// OCI has overlay mounts of host directories; a private tmpfs upper and created paths are losses
// (systemd has none of them), each located at its key.
TEST(MountOverlay, Export) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt:
    overlay:
      - {target: /a, lower: [/l1, /l2], upper: tmpfs}
      - {target: /b, lower: [/l], upper: /u, work: /w}
      - {target: /c, lower: [/l1, /l2]}
    files: [{path: /a/f}]
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto oci = exporting::export_oci(*c->profile, {});
  EXPECT_NE(oci.text.find("\"type\": \"overlay\""), std::string::npos) << oci.text;
  EXPECT_NE(oci.text.find("\"workdir=/w\""), std::string::npos) << oci.text;
  EXPECT_NE(oci.text.find("\"lowerdir=/l1:/l2\",\n        \"ro\""), std::string::npos) << oci.text;
  EXPECT_EQ(oci.text.find("\"/a\""), std::string::npos) << oci.text;
  std::string losses = render_all(oci.diags, c->sources);
  EXPECT_NE(losses.find("p.yaml:6:"), std::string::npos) << losses;
  EXPECT_NE(losses.find("p.yaml:9:"), std::string::npos) << losses;
  auto unit = exporting::export_systemd(*c->profile, {}, &c->sources);
  std::string unit_losses = render_all(unit.diags, c->sources);
  EXPECT_NE(unit_losses.find("p.yaml:8:9: warning: systemd cannot express an overlay mount"), std::string::npos) << unit_losses;
  EXPECT_NE(unit_losses.find("p.yaml:9:"), std::string::npos) << unit_losses;
}

}  // namespace
}  // namespace nsplan
