// namespaces.mnt dev, mqueue and sysfs: the steps run takes, in mount-tree order, and their sh.
#include <gtest/gtest.h>

#include "applier/shell_launch.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

// One line per step: "mount devpts devpts /x", "mkpoint /x", "ln /x -> y", "umount /x".
std::vector<std::string> lines(const plan::Launch& l) {
  static const char* kType[] = {"proc", "tmpfs", "bind", "devpts", "mqueue", "sysfs"};
  std::vector<std::string> out;
  for (const auto& s : l.inside) {
    if (auto* m = std::get_if<plan::Mount>(&s)) {
      std::string flags;
      for (const auto& f : m->flags) flags += "," + f;
      out.push_back(std::string("mount ") + kType[static_cast<int>(m->type)] + " " + m->source + " " + m->target +
                    (m->recursive ? " rec" : "") + (flags.empty() ? "" : " " + flags.substr(1)) + (m->data.empty() ? "" : " " + m->data));
    } else if (auto* p = std::get_if<plan::MakeMountPoint>(&s)) {
      out.push_back("mkpoint " + p->path + (p->source_of_kind.empty() ? "" : " like " + p->source_of_kind));
    } else if (auto* y = std::get_if<plan::MakeSymlink>(&s)) {
      out.push_back("ln " + y->path + " -> " + y->target);
    } else if (auto* u = std::get_if<plan::Unmount>(&s)) {
      out.push_back("umount " + u->target);
    } else if (auto* r = std::get_if<plan::RemountReadOnly>(&s)) {
      out.push_back("ro " + r->target);
    }
  }
  return out;
}

TEST(MountExtras, MinimalDevIsFilledAsideThenBoundOnDev) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  ipc: {}
  mnt: {dev: true, mqueue: true, sysfs: true}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::vector<std::string> want = {
      "mkpoint /run/nsplan",
      "mount tmpfs tmpfs /run/nsplan nosuid,nodev,noexec mode=0755",
      "mkpoint /run/nsplan/null like /dev/null", "mount bind /dev/null /run/nsplan/null",
      "mkpoint /run/nsplan/zero like /dev/zero", "mount bind /dev/zero /run/nsplan/zero",
      "mkpoint /run/nsplan/full like /dev/full", "mount bind /dev/full /run/nsplan/full",
      "mkpoint /run/nsplan/random like /dev/random", "mount bind /dev/random /run/nsplan/random",
      "mkpoint /run/nsplan/urandom like /dev/urandom", "mount bind /dev/urandom /run/nsplan/urandom",
      "mkpoint /run/nsplan/tty like /dev/tty", "mount bind /dev/tty /run/nsplan/tty",
      "mkpoint /run/nsplan/pts", "mount devpts devpts /run/nsplan/pts nosuid,noexec newinstance,ptmxmode=0666,mode=620",
      "ln /run/nsplan/ptmx -> pts/ptmx",
      "mkpoint /run/nsplan/shm", "mount tmpfs tmpfs /run/nsplan/shm nosuid,nodev mode=1777",
      "ln /run/nsplan/fd -> /proc/self/fd", "ln /run/nsplan/stdin -> /proc/self/fd/0",
      "ln /run/nsplan/stdout -> /proc/self/fd/1", "ln /run/nsplan/stderr -> /proc/self/fd/2",
      "mount bind /run/nsplan /dev rec", "umount /run/nsplan",
      // Then by depth: sysfs, read-only from the start, and mqueue below /dev, its mount point
      // made in the new /dev.
      "mount sysfs sysfs /sys ro,nosuid,nodev,noexec",
      "mkpoint /dev/mqueue", "mount mqueue mqueue /dev/mqueue nosuid,nodev,noexec",
  };
  EXPECT_EQ(lines(*c->plan->launch), want);
}

TEST(MountExtras, WithANewRootEverythingIsInIt) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt: {root: /srv/j, dev: true, sysfs: true, bind: [{source: /opt/gpu, target: /dev/gpu}]}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto got = lines(*c->plan->launch);
  auto at = [&](const std::string& line) { return std::find(got.begin(), got.end(), line) - got.begin(); };
  ASSERT_LT(at("mount bind /run/nsplan /srv/j/dev rec"), static_cast<long>(got.size()));
  // A bind into /dev comes after it, with its mount point made there.
  EXPECT_LT(at("mount bind /run/nsplan /srv/j/dev rec"), at("mkpoint /srv/j/dev/gpu like /opt/gpu"));
  EXPECT_LT(at("mkpoint /srv/j/dev/gpu like /opt/gpu"), at("mount bind /opt/gpu /srv/j/dev/gpu rec"));
  EXPECT_LT(at("mount sysfs sysfs /srv/j/sys ro,nosuid,nodev,noexec"), static_cast<long>(got.size()));
}

TEST(MountExtras, Shell) {
  EXPECT_EQ(applier::render_inside_step(plan::MakeSymlink{"pts/ptmx", "/dev/ptmx"}), "ln -s 'pts/ptmx' '/dev/ptmx'\n");
  EXPECT_EQ(applier::render_inside_step(plan::Mount{plan::Mount::Type::Sysfs, "sysfs", "/sys", {"ro", "nosuid"}, "", false}),
            "mount -t sysfs -o 'ro,nosuid' 'sysfs' '/sys'\n");
  EXPECT_EQ(applier::render_inside_step(
                plan::Mount{plan::Mount::Type::Devpts, "devpts", "/dev/pts", {"nosuid"}, "newinstance,ptmxmode=0666", false}),
            "mount -t devpts -o 'nosuid,newinstance,ptmxmode=0666' 'devpts' '/dev/pts'\n");
}

}  // namespace
}  // namespace nsplan
