// Strings read from the kernel reach the terminal and JSON escaped (compiler/escape.h), and never
// abort nsplan. The kernel takes any bytes as a hostname: here a persisted uts namespace of a
// profile gets the hostname 0xff 0x1b 'x' (invalid UTF-8 and ESC) behind nsplan's back, through
// /proc/sys/kernel/hostname of that namespace only (hostname(1) would refuse it), and then
// `status --json`, `status`, `plan` and `plan --json` must end normally: valid JSON, the bytes
// shown as \xff\x1b, none of them raw.
//
// Everything runs in a Sandbox (tests/kernel/sandbox.h): its own /run, so the namespace file
// and the state live and die with it; the host's hostname is never written (the script checks
// that it is in another uts namespace before it writes, and the test compares before and after).
#include <sys/utsname.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

class KernelText : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(tmp_.ok());
  }
  TempDir tmp_;
};

bool has_raw_byte(const std::string& text, unsigned char b) {
  return text.find(static_cast<char>(b)) != std::string::npos;
}

std::string hostname_now() {
  struct utsname u {};
  ::uname(&u);
  return u.nodename;
}

TEST_F(KernelText, NonUtf8HostnameIsShownEscapedAndNothingAborts) {
  const std::string name = test_name("kt"), ns = test_name("kt-uts");
  const std::string path = tmp_.write("uts.yaml",
                                      "nsplan: 1\n"
                                      "name: " + name + "\n"
                                      "namespaces:\n"
                                      "  uts:\n"
                                      "    persist: " + ns + "\n"
                                      "    hostname: good\n");
  const std::string host_before = hostname_now();
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, ""));
  ASSERT_EQ(apply.code(), 0) << apply.describe();

  // Behind nsplan's back, in the profile's uts namespace and nowhere else.
  const std::string uts = "/run/nsplan/ns/" + ns + ".uts";
  RunResult set = sb.run("host_uts=$(readlink /proc/self/ns/uts)\n"
                         "nsenter --uts=" + shq(uts) + " sh -c '\n"
                         "  [ \"$(readlink /proc/self/ns/uts)\" != \"$1\" ] || { echo \"not in the profile uts namespace\" >&2; exit 1; }\n"
                         "  printf \"\\377\\033x\" > /proc/sys/kernel/hostname' sh \"$host_uts\"\n"
                         "nsenter --uts=" + shq(uts) + " cat /proc/sys/kernel/hostname | od -An -tx1\n");
  ASSERT_EQ(set.code(), 0) << set.describe();
  ASSERT_TRUE(contains(set.out, "ff 1b 78")) << "the hostname was not set as meant:\n" << set.describe();
  ASSERT_EQ(hostname_now(), host_before) << "the host's hostname changed";

  RunResult status_json = sb.run(nsplan_cmd("status", path, "", "--json"));
  RunResult status = sb.run(nsplan_cmd("status", path, ""));
  RunResult plan = sb.run(nsplan_cmd("plan", path, ""));
  RunResult plan_json = sb.run(nsplan_cmd("plan", path, "", "--json"));
  for (const RunResult* r : {&status_json, &status, &plan, &plan_json}) {
    EXPECT_TRUE(r->exited()) << r->describe();
    for (unsigned char raw : {0xff, 0x1b}) {
      EXPECT_FALSE(has_raw_byte(r->out, raw)) << "a raw byte reached the output:\n" << r->describe();
      EXPECT_FALSE(has_raw_byte(r->err, raw)) << "a raw byte reached the output:\n" << r->describe();
    }
  }
  EXPECT_EQ(status_json.code(), 4) << "the hostname differs from the profile's\n" << status_json.describe();
  EXPECT_EQ(status.code(), 4) << "the hostname differs from the profile's\n" << status.describe();
  // Shown as changed, from what is there to what the profile says, not as missing.
  EXPECT_TRUE(contains(status.out, "  changed  ")) << status.describe();
  EXPECT_EQ(plan.code(), 4) << "the hostname differs from the profile's: a change is pending\n" << plan.describe();
  EXPECT_EQ(plan_json.code(), 4) << plan_json.describe();

  // status --json: valid JSON; the hostname item shows the bytes escaped (then the domain name).
  json st = parse_status(status_json);
  ASSERT_TRUE(st.contains("items")) << status_json.describe();
  std::string current;
  for (const auto& item : st["items"])
    if (starts_with(item.value("key", std::string()), "hostname ")) current = item.value("current", std::string());
  EXPECT_TRUE(starts_with(current, "\\xff\\x1bx ")) << "current: " << current << "\n" << status_json.out;
  // status and plan, as text: the same escaped form, on the hostname's line.
  EXPECT_TRUE(contains(status.out, "(~ hostname in " + uts + ": \\xff\\x1bx ")) << status.describe();
  EXPECT_TRUE(contains(plan.out, "~ hostname in " + uts + ": \\xff\\x1bx ")) << plan.describe();
  EXPECT_TRUE(contains(plan.out, " -> good")) << plan.describe();
  // plan --json: valid JSON, with the same change text.
  json pj;
  try {
    pj = json::parse(plan_json.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "plan --json is not JSON: " << e.what() << "\n" << plan_json.describe();
  }
  bool change_shown = false;
  if (pj.contains("diff"))
    for (const auto& ch : pj["diff"]["changes"])
      change_shown |= contains(ch.value("change", std::string()), ": \\xff\\x1bx ");
  EXPECT_TRUE(change_shown) << plan_json.out;

  // apply puts the profile's hostname back; its journal keeps the old one byte for byte (as hex:
  // it is not UTF-8), where it used to abort writing it.
  RunResult again = sb.run(nsplan_cmd("apply", path, ""));
  EXPECT_EQ(again.code(), 0) << again.describe();
  RunResult now = sb.run("nsenter --uts=" + shq(uts) + " hostname");
  EXPECT_EQ(trim(now.out), "good") << now.describe();

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, ""));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, nullptr, name), std::vector<std::string>{});
  EXPECT_EQ(hostname_now(), host_before);
}

}  // namespace
}  // namespace nsplan::kernel_test
