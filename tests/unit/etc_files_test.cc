// namespaces.net.etc: the files' text, the steps run takes to bind them, and their sh form.
#include <gtest/gtest.h>

#include "applier/shell_launch.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

const char* kProfile = R"(nsplan: 1
name: web
namespaces:
  net:
    etc:
      resolv_conf: {nameservers: [10.0.0.1, "fd00::1"], search: [example.org, corp.example], options: [ndots:2, edns0]}
      hosts: {entries: [{address: 10.0.0.2, names: [db, db.example.org]}]}
      hostname: web1
  mnt: {}
run: {command: [sh]}
)";

std::string text_of(const plan::Launch& l, const std::string& path) {
  for (const auto& s : l.inside)
    if (auto* w = std::get_if<plan::WriteFile>(&s); w && w->path == path) return w->text;
  return "(none)";
}

TEST(EtcFiles, TextsFromTheKeys) {
  auto c = compile_text(kProfile);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& l = *c->plan->launch;
  EXPECT_EQ(text_of(l, "/run/nsplan/resolv.conf"),
            "nameserver 10.0.0.1\nnameserver fd00::1\nsearch example.org corp.example\noptions ndots:2 edns0\n");
  EXPECT_EQ(text_of(l, "/run/nsplan/hosts"),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.2\tdb\tdb.example.org\n");
  EXPECT_EQ(text_of(l, "/run/nsplan/hostname"), "web1\n");
}

// The order matters: the staging tmpfs before any file, each file before its bind, the bind made
// read-only, and the staging detached last (the binds keep its files).
TEST(EtcFiles, RunStagesBindsAndDetaches) {
  auto c = compile_text(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {hostname: web1}}
  mnt: {}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& in = c->plan->launch->inside;
  std::vector<std::string> got;
  for (const auto& s : in) {
    if (auto* m = std::get_if<plan::Mount>(&s))
      got.push_back((m->type == plan::Mount::Type::Tmpfs ? "tmpfs " : "bind ") + m->source + " " + m->target + " " + m->data);
    else if (auto* w = std::get_if<plan::WriteFile>(&s))
      got.push_back("write " + w->path + " " + std::to_string(w->mode));
    else if (auto* r = std::get_if<plan::RemountReadOnly>(&s))
      got.push_back("ro " + r->target);
    else if (auto* u = std::get_if<plan::Unmount>(&s))
      got.push_back("umount " + u->target);
    else if (auto* p = std::get_if<plan::MakeMountPoint>(&s))
      got.push_back("mkpoint " + p->path);
  }
  std::vector<std::string> want = {"mkpoint /run/nsplan", "tmpfs tmpfs /run/nsplan mode=0700", "write /run/nsplan/hostname 420",
                                   "bind /run/nsplan/hostname /etc/hostname ", "ro /etc/hostname", "umount /run/nsplan"};
  EXPECT_EQ(got, want);
}

// With a new root the targets are in it, and a tmpfs of the profile on /etc gets mount points.
TEST(EtcFiles, NewRootAndProfileTmpfs) {
  auto c = compile_text(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {resolv_conf: {nameservers: [1.1.1.1]}}}
  mnt: {root: /srv/jail, tmpfs: [{path: /etc}]}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& in = c->plan->launch->inside;
  bool point = false, bind = false;
  for (const auto& s : in) {
    if (auto* p = std::get_if<plan::MakeMountPoint>(&s))
      point |= p->path == "/srv/jail/etc/resolv.conf" && p->source_of_kind == "/run/nsplan/resolv.conf";
    if (auto* m = std::get_if<plan::Mount>(&s)) bind |= m->target == "/srv/jail/etc/resolv.conf";
  }
  EXPECT_TRUE(point);
  EXPECT_TRUE(bind);
  EXPECT_TRUE(std::holds_alternative<plan::PivotRoot>(in.back()));
}

TEST(EtcFiles, LiteralTextAndNoLocalhost) {
  auto c = compile_text(R"(nsplan: 1
name: web
namespaces:
  net:
    etc:
      resolv_conf:
        text: |
          nameserver 192.0.2.53
          options trust-ad
      hosts: {localhost: false, entries: [{address: 192.0.2.1, names: [gw]}]}
  mnt: {}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(text_of(*c->plan->launch, "/run/nsplan/resolv.conf"), "nameserver 192.0.2.53\noptions trust-ad\n");
  EXPECT_EQ(text_of(*c->plan->launch, "/run/nsplan/hosts"), "192.0.2.1\tgw\n");
}

std::string errors(const char* yaml) {
  auto c = compile_text(yaml);
  return c->ok() ? "" : render_all(c->diags, c->sources);
}

TEST(EtcFiles, LocatedErrors) {
  EXPECT_NE(errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {resolv_conf: {text: "nameserver 1.1.1.1", nameservers: [1.0.0.1]}}}
  mnt: {}
)").find("p.yaml:4:"), std::string::npos);
  std::string four = errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {resolv_conf: {nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 9.9.9.9]}}}
  mnt: {}
)");
  EXPECT_NE(four.find("only the first 3 nameservers"), std::string::npos) << four;
  EXPECT_NE(four.find("p.yaml:4:70"), std::string::npos) << four;
  EXPECT_NE(errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {resolv_conf: {options: ["ndots:2 edns0"]}}}
  mnt: {}
)").find("one word"), std::string::npos);
  EXPECT_NE(errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {hosts: {text: "x", localhost: true}}}
  mnt: {}
)").find("hosts.text is the whole file"), std::string::npos);
  // A new net namespace without a new mount namespace: nowhere to bind the files.
  EXPECT_NE(errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {hostname: a}}
)").find("needs a new mount namespace"), std::string::npos);
  // A name with a newline cannot become a line of its own.
  EXPECT_NE(errors(R"(nsplan: 1
name: web
namespaces:
  net: {etc: {hosts: {entries: [{address: 10.0.0.1, names: ["a\nb"]}]}}}
  mnt: {}
)"), "");
}

TEST(EtcFiles, ShellCreatesExclusivelyAndDetaches) {
  plan::WriteFile w{"/run/nsplan/hosts", "1.2.3.4\tit's\n", 0644};
  EXPECT_EQ(applier::render_inside_step(w),
            "(set -C && printf '%s' '1.2.3.4\tit'\\''s\n' > '/run/nsplan/hosts')\nchmod 0644 '/run/nsplan/hosts'\n");
  EXPECT_EQ(applier::render_inside_step(plan::Unmount{"/run/nsplan"}), "umount -l '/run/nsplan'\n");
}

}  // namespace
}  // namespace nsplan
