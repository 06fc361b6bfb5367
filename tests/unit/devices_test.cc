// The devices controller: rules in devices.allow's syntax (compiler/device_rules.h), the v1 plan
// (devices.deny "a", then devices.allow per rule) and the v2 one (a hand-assembled BPF device
// program, applier/device_program.h), run by a small interpreter of the instructions it uses
// and compared with the kernel's v1 semantics for every request of a small universe; apply,
// re-apply and destroy against the fake kernel; explain's marked line and --strict.
#include <gtest/gtest.h>

#include <random>

#include "applier/device_program.h"
#include "applier/executor.h"
#include "applier/explain.h"
#include "applier/state.h"
#include "compiler/device_rules.h"
#include "fake_kernel.h"
#include "test_support.h"

namespace nsplan {
namespace {

using device_rules::Rule;
using testing::FakeKernel;
using testing::FakeState;

std::vector<std::string> texts(const std::string& rule) {
  std::string error;
  auto r = device_rules::parse(rule, error);
  if (!r) return {"error: " + error};
  std::vector<std::string> out;
  for (const auto& x : *r) out.push_back(device_rules::text(x));
  return out;
}

TEST(DeviceRules, ParseIntoDevicesListForm) {
  EXPECT_EQ(texts("c 1:3 rwm"), std::vector<std::string>{"c 1:3 rwm"});
  EXPECT_EQ(texts("c 1:3 mwr"), std::vector<std::string>{"c 1:3 rwm"}) << "access in the kernel's order";
  EXPECT_EQ(texts("b 8:* r"), std::vector<std::string>{"b 8:* r"});
  EXPECT_EQ(texts("c 136:*"), std::vector<std::string>{"c 136:* rwm"}) << "access defaults to rwm";
  EXPECT_EQ(texts("a"), (std::vector<std::string>{"b *:* rwm", "c *:* rwm"}));
  EXPECT_EQ(texts("a 1:3 w"), (std::vector<std::string>{"b 1:3 w", "c 1:3 w"}));
  EXPECT_EQ(texts("c 4095:1048575 m"), std::vector<std::string>{"c 4095:1048575 m"});
  for (const char* bad : {"", "x 1:3 r", "c", "c 1 r", "c 1: r", "c :3 r", "c 4096:0 r", "c 0:1048576 r", "c 1:3 rr",
                          "c 1:3 q", "c 1:3 r extra", "c -1:3 r", "c 1:3x r", "c 99999999:1 r"})
    EXPECT_EQ(texts(bad).front().rfind("error: ", 0), 0u) << "'" << bad << "'";
}

TEST(DeviceRules, SameDeviceRulesMergeAsTheKernelMergesThem) {
  std::string e;
  std::vector<Rule> rules;
  for (const char* r : {"c 1:3 r", "c 1:5 w", "c 1:3 w"}) rules.push_back(device_rules::parse(r, e)->front());
  std::vector<std::string> out;
  for (const auto& r : device_rules::merged(rules)) out.push_back(device_rules::text(r));
  EXPECT_EQ(out, (std::vector<std::string>{"c 1:3 rw", "c 1:5 w"}));
}

// Enough of eBPF to run what device_program emits: 32-bit context loads, 64-bit mov/and/rsh,
// conditional jumps on immediates, exit. Anything else fails the test.
int run(const std::vector<bpf_insn>& prog, uint32_t access_type, uint32_t major, uint32_t minor) {
  uint64_t r[11] = {};
  const uint32_t ctx[3] = {access_type, major, minor};
  for (size_t pc = 0, steps = 0; pc < prog.size() && steps < 100000; ++pc, ++steps) {
    const bpf_insn& i = prog[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(i.src_reg, 1);
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X: r[i.dst_reg] = r[i.src_reg]; break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_ALU64 | BPF_AND | BPF_K: r[i.dst_reg] &= static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_ALU64 | BPF_RSH | BPF_K: r[i.dst_reg] >>= i.imm; break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (r[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(r[0]);
      default: ADD_FAILURE() << "opcode " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "fell off the end";
  return -1;
}

TEST(DeviceProgram, DecidesAsV1DoesForEveryRequest) {
  std::mt19937 rng(7);
  const int64_t numbers[] = {device_rules::kAny, 0, 1, 3, 5};
  int programs = 0;
  for (int round = 0; round < 300; ++round) {
    const bool default_allow = round % 2;
    std::vector<Rule> rules;
    for (int n = rng() % 5; n > 0; --n)
      rules.push_back(Rule{static_cast<uint8_t>(rng() % 2 ? device_rules::kBlock : device_rules::kChar), numbers[rng() % 5],
                           numbers[rng() % 5], static_cast<uint8_t>(1 + rng() % 7)});
    rules = device_rules::merged(rules);
    std::vector<std::string> exceptions;
    for (const auto& r : rules) exceptions.push_back(device_rules::text(r));
    auto prog = applier::device_program(default_allow, exceptions);
    ASSERT_TRUE(prog);
    ++programs;
    for (uint8_t type : {device_rules::kBlock, device_rules::kChar})
      for (uint32_t major : {0u, 1u, 3u, 5u, 7u})
        for (uint32_t minor : {0u, 1u, 3u, 5u, 9u})
          for (uint8_t access = 1; access <= 7; ++access) {
            const bool want = device_rules::permits(default_allow, rules, type, major, minor, access);
            ASSERT_EQ(run(*prog, (uint32_t{access} << 16) | type, major, minor), want ? 1 : 0)
                << (default_allow ? "allow but " : "deny but ") << ::testing::PrintToString(exceptions) << " asked "
                << int(type) << " " << major << ":" << minor << " access " << int(access);
          }
  }
  EXPECT_EQ(programs, 300);
}

TEST(DeviceProgram, KernelSemanticsThatAreEasyToGetWrong) {
  std::string e;
  auto rule = [&](const char* t) { return device_rules::parse(t, e)->front(); };
  // Allowing: one exception must cover all of the access asked for.
  EXPECT_FALSE(device_rules::permits(false, {rule("c 1:3 r"), rule("c 1:* w")}, device_rules::kChar, 1, 3,
                                     device_rules::kRead | device_rules::kWrite));
  // Denying: any access in common denies.
  EXPECT_FALSE(device_rules::permits(true, {rule("c 1:3 w")}, device_rules::kChar, 1, 3, device_rules::kRead | device_rules::kWrite));
  EXPECT_TRUE(device_rules::permits(true, {rule("c 1:3 w")}, device_rules::kChar, 1, 3, device_rules::kRead));
  EXPECT_FALSE(applier::device_program(false, {"c 1:3 rwm", "not a rule"})) << "the plan is input";
}

std::vector<const plan::SetDeviceAccess*> device_steps(const Compilation& c) {
  std::vector<const plan::SetDeviceAccess*> out;
  for (const auto& s : c.plan->steps)
    if (auto* d = std::get_if<plan::SetDeviceAccess>(&s.action)) out.push_back(d);
  return out;
}

const char* kProfile =
    "nsplan: 1\nname: dev\ncgroup:\n  devices:\n    allow: [\"c 1:3 rwm\", \"c 1:5 r\", \"c 1:5 w\", \"a 7:*\"]\n";

TEST(DevicesPlan, V1MakesTheCgroupInTheDevicesTreeAndV2AttachesAProgram) {
  auto v1 = testing::compile_text(kProfile, CgroupMode::V1);
  ASSERT_TRUE(v1->ok()) << render_all(v1->diags, v1->sources);
  auto steps = device_steps(*v1);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]->dir, "/sys/fs/cgroup/devices/nsplan/dev");
  EXPECT_FALSE(steps[0]->bpf);
  EXPECT_FALSE(steps[0]->default_allow);
  EXPECT_EQ(steps[0]->exceptions, (std::vector<std::string>{"c 1:3 rwm", "c 1:5 rw", "b 7:* rwm", "c 7:* rwm"}));

  auto v2 = testing::compile_text(kProfile, CgroupMode::V2);
  ASSERT_TRUE(v2->ok()) << render_all(v2->diags, v2->sources);
  steps = device_steps(*v2);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]->dir, "/sys/fs/cgroup/nsplan/dev");
  EXPECT_TRUE(steps[0]->bpf);
  for (const auto& s : v2->plan->steps)
    if (std::holds_alternative<plan::EnableControllers>(s.action)) ADD_FAILURE() << "v2 enables no controller for devices";
}

TEST(DevicesPlan, BadRulesAndTheWrongListAreLocatedErrors) {
  auto bad = testing::compile_text("nsplan: 1\nname: dev\ncgroup:\n  devices:\n    allow: [\"c 1:3 rwm\", \"c 1:x r\"]\n");
  std::string text = render_all(bad->diags, bad->sources);
  EXPECT_FALSE(bad->ok());
  EXPECT_NE(text.find("p.yaml:5:26: error: '1:x' is not MAJOR:MINOR"), std::string::npos) << text;
  auto wrong = testing::compile_text("nsplan: 1\nname: dev\ncgroup:\n  devices:\n    deny: [\"c 1:3 rwm\"]\n");
  text = render_all(wrong->diags, wrong->sources);
  EXPECT_FALSE(wrong->ok());
  EXPECT_NE(text.find("p.yaml:5:12: error: with default deny no device is allowed: a deny rule means nothing"), std::string::npos)
      << text;
  auto v1_unmounted = HostFacts::stated(CgroupMode::V1);
  v1_unmounted.controllers.erase("devices");
  v1_unmounted.v1_mounts.erase("devices");
  auto missing = testing::compile_with(kProfile, v1_unmounted);
  text = render_all(missing->diags, missing->sources);
  EXPECT_NE(text.find("p.yaml:5:5: error: the devices controller is not mounted"), std::string::npos) << text;
}

struct Applied {
  FakeKernel kernel;
  applier::MemoryState state;
  explicit Applied(CgroupMode mode) : kernel(HostFacts::stated(mode)) {}
};

TEST(DevicesApply, V1WritesTheListAndDestroyTakesTheCgroup) {
  auto c = testing::compile_text(kProfile, CgroupMode::V1);
  ASSERT_TRUE(c->ok());
  Applied a(CgroupMode::V1);
  auto out = applier::apply_plan(*c->plan, a.kernel, a.state);
  ASSERT_TRUE(out.ok) << out.error;
  const std::string dir = "/sys/fs/cgroup/devices/nsplan/dev";
  EXPECT_EQ(a.kernel.state().cgroups.at(dir).at("devices.list"), "c 1:3 rwm\nc 1:5 rw\nb 7:* rwm\nc 7:* rwm");
  auto again = applier::apply_plan(*c->plan, a.kernel, a.state);
  ASSERT_TRUE(again.ok);
  EXPECT_TRUE(again.changes.empty()) << "in place: " << again.changes.front().text;
  auto gone = applier::destroy_profile(a.kernel, a.state, c->plan->facts);
  ASSERT_TRUE(gone.ok);
  EXPECT_FALSE(a.kernel.state().cgroups.count(dir));
}

TEST(DevicesApply, V1CgroupThatWasThereGetsItsListBack) {
  auto c = testing::compile_text(kProfile, CgroupMode::V1);
  Applied a(CgroupMode::V1);
  const std::string dir = "/sys/fs/cgroup/devices/nsplan/dev";
  ASSERT_TRUE(a.kernel.cgroup_mkdir("/sys/fs/cgroup/devices/nsplan").ok());
  ASSERT_TRUE(a.kernel.cgroup_mkdir(dir).ok());
  ASSERT_TRUE(a.kernel.cgroup_write(dir, "devices.deny", "a").ok());
  ASSERT_TRUE(a.kernel.cgroup_write(dir, "devices.allow", "c 5:1 rw").ok());
  const FakeState before = a.kernel.snapshot();
  ASSERT_TRUE(applier::apply_plan(*c->plan, a.kernel, a.state).ok);
  EXPECT_NE(a.kernel.state().cgroups.at(dir).at("devices.list"), "c 5:1 rw");
  ASSERT_TRUE(applier::destroy_profile(a.kernel, a.state, c->plan->facts).ok);
  EXPECT_EQ(a.kernel.state().cgroups.at(dir).at("devices.list"), "c 5:1 rw");
  EXPECT_EQ(a.kernel.state(), before);
}

TEST(DevicesApply, V1DefaultAllowWritesItsDenialsEveryTime) {
  auto c = testing::compile_text("nsplan: 1\nname: dev\ncgroup:\n  devices:\n    default: allow\n    deny: [\"b *:* w\"]\n",
                                 CgroupMode::V1);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  Applied a(CgroupMode::V1);
  ASSERT_TRUE(applier::apply_plan(*c->plan, a.kernel, a.state).ok);
  const std::string dir = "/sys/fs/cgroup/devices/nsplan/dev";
  EXPECT_EQ(a.kernel.state().cgroups.at(dir).at("devices.list"), "a *:* rwm");
  EXPECT_EQ(a.kernel.state().cgroups.at(dir).at("devices.denied"), "b *:* w");
  // devices.list cannot show denials: a second apply writes them again rather than trust it.
  a.kernel.mutable_state().cgroups[dir]["devices.denied"] = "";
  ASSERT_TRUE(applier::apply_plan(*c->plan, a.kernel, a.state).ok);
  EXPECT_EQ(a.kernel.state().cgroups.at(dir).at("devices.denied"), "b *:* w");
}

std::string programs_of(const FakeKernel& k, const std::string& dir) {
  const auto& files = k.state().cgroups.at(dir);
  auto it = files.find("bpf.device");
  return it == files.end() ? "" : it->second;
}

TEST(DevicesApply, V2AttachesOnceReplacesOnChangeAndDetachesOnlyItsOwn) {
  const std::string dir = "/sys/fs/cgroup/nsplan/dev";
  auto c = testing::compile_text(kProfile, CgroupMode::V2);
  Applied a(CgroupMode::V2);
  // The cgroup is someone's already, with a device program of theirs.
  ASSERT_TRUE(a.kernel.cgroup_mkdir("/sys/fs/cgroup/nsplan").ok());
  ASSERT_TRUE(a.kernel.cgroup_mkdir(dir).ok());
  a.kernel.attach_program(dir, 5, "theirs");
  ASSERT_TRUE(applier::apply_plan(*c->plan, a.kernel, a.state).ok);
  const std::string name = device_rules::program_name(false, device_steps(*c)[0]->exceptions);
  std::string programs = programs_of(a.kernel, dir);
  EXPECT_EQ(programs, "theirs\n" + name);

  auto again = applier::apply_plan(*c->plan, a.kernel, a.state);
  ASSERT_TRUE(again.ok);
  EXPECT_TRUE(again.changes.empty());
  EXPECT_EQ(programs_of(a.kernel, dir), programs) << "the same policy is not attached twice";

  auto changed = testing::compile_text("nsplan: 1\nname: dev\ncgroup:\n  devices:\n    allow: [\"c 1:3 rwm\"]\n", CgroupMode::V2);
  auto out = applier::apply_plan(*changed->plan, a.kernel, a.state);
  ASSERT_TRUE(out.ok) << out.error;

  const std::string new_name = device_rules::program_name(false, {"c 1:3 rwm"});
  programs = programs_of(a.kernel, dir);
  EXPECT_EQ(programs, "theirs\n" + new_name) << "the old program is detached, theirs is kept";

  ASSERT_TRUE(applier::destroy_profile(a.kernel, a.state, c->plan->facts).ok);
  EXPECT_EQ(programs_of(a.kernel, dir), "theirs") << "theirs stays, and so does their cgroup";
}

TEST(DevicesApply, V2ProgramAttachedBehindNsplansBackUnderItsNameIsNotDetached) {
  const std::string dir = "/sys/fs/cgroup/nsplan/dev";
  auto c = testing::compile_text(kProfile, CgroupMode::V2);
  Applied a(CgroupMode::V2);
  ASSERT_TRUE(a.kernel.cgroup_mkdir("/sys/fs/cgroup/nsplan").ok());
  ASSERT_TRUE(a.kernel.cgroup_mkdir(dir).ok());
  ASSERT_TRUE(applier::apply_plan(*c->plan, a.kernel, a.state).ok);
  // Someone detaches nsplan's program and attaches one of the same name.
  const std::string name = device_rules::program_name(false, device_steps(*c)[0]->exceptions);
  a.kernel.mutable_state().cgroups[dir]["bpf.device"] = "";
  a.kernel.mutable_state().program_ids[dir].clear();
  a.kernel.attach_program(dir, 999, name);
  ASSERT_TRUE(applier::destroy_profile(a.kernel, a.state, c->plan->facts).ok);
  EXPECT_EQ(programs_of(a.kernel, dir), name) << "a name proves nothing: only the recorded id is detached";
  EXPECT_EQ(a.kernel.state().program_ids.at(dir), std::vector<uint32_t>{999});
}

TEST(DevicesExplain, V1ScriptWritesTheFilesV2MarksTheProgramAndStrictRefuses) {
  auto v1 = testing::compile_text(kProfile, CgroupMode::V1);
  std::string script = applier::explain(*v1->plan, v1->diags, v1->sources);
  EXPECT_NE(script.find("echo 'a' > '/sys/fs/cgroup/devices/nsplan/dev/devices.deny'"), std::string::npos) << script;
  EXPECT_NE(script.find("echo 'c 1:5 rw' > '/sys/fs/cgroup/devices/nsplan/dev/devices.allow'"), std::string::npos) << script;
  EXPECT_TRUE(applier::not_in_sh(*v1->plan).empty());

  auto v2 = testing::compile_text(kProfile, CgroupMode::V2);
  script = applier::explain(*v2->plan, v2->diags, v2->sources);
  EXPECT_NE(script.find("# NOT IN SH: nsplan apply loads a BPF device program (nsplan_"), std::string::npos) << script;
  EXPECT_NE(script.find("no device but c 1:3 rwm, c 1:5 rw, b 7:* rwm, c 7:* rwm"), std::string::npos) << script;
  auto missing = applier::not_in_sh(*v2->plan);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].rfind("p.yaml:5:5: devices: none but", 0), 0u) << missing[0];
}

}  // namespace
}  // namespace nsplan
