// apply --json and destroy --json against the real kernel (issue 13, "Machine-readable"): each
// cgroup change is a record with its object, path, before, after and profile line; `changed` is
// false for a second apply and a second destroy; every document is valid against
// schema/nsplan-output.schema.json (python3-jsonschema), as is that of `kill --json`. Network
// records: tests/json_schema_test.py.
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>", in a Sandbox.
#include <nlohmann/json.hpp>
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The first change in LIST with ACTION and OBJECT whose path ends with PATH_END; null if none.
json find_change(const json& list, const std::string& action, const std::string& object, const std::string& path_end) {
  for (const auto& c : list)
    if (c.value("action", "") == action && c.value("object", "") == object && ends_with(c.value("path", ""), path_end)) return c;
  return nullptr;
}

TEST(Json, ApplyAndDestroyReportEachCgroupChange) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const bool v2 = host_probe().facts.mode == CgroupMode::V2;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  CgroupParent cg({"memory"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string name = test_name("json");
  const std::string a = tmp.write("a.yaml", "nsplan: 1\nname: " + name + "\ncgroup:\n  path: work\n  memory: {max: 64M}\n");
  const std::string b = tmp.write("b.yaml", "nsplan: 1\nname: " + name + "\ncgroup:\n  path: work\n  memory: {max: 32M}\n");
  RunResult r = run_sandboxed(tmp.path(), {{"A", a}, {"B", b}, {"NAME", name}, {"PARENT", cg.name()}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" apply --json -v "$A" $P > "$T/apply1.json" 2> "$T/apply1.err"; echo "apply1=$?"
"$N" apply --json "$A" $P > "$T/apply2.json"; echo "apply2=$?"
"$N" apply --json "$B" $P > "$T/apply3.json"; echo "apply3=$?"
"$N" kill --json --signal TERM "$NAME" $P > "$T/kill.json"; echo "kill=$?"
"$N" destroy --json "$NAME" $P > "$T/destroy1.json"; echo "destroy1=$?"
"$N" destroy --json "$NAME" $P > "$T/destroy2.json"; echo "destroy2=$?"
)SH",
                              60);
  ASSERT_TRUE(r.exited()) << r.describe();
  for (const char* step : {"apply1", "apply2", "apply3", "kill", "destroy1", "destroy2"})
    EXPECT_EQ(script_value(r.out, step), "0") << step << "\n" << r.describe() << read_file(tmp.file("apply1.err"));
  auto doc = [&](const std::string& file) {
    json j = json::parse(read_file(tmp.file(file)), nullptr, false);
    EXPECT_TRUE(j.is_object()) << file << " is not one JSON document:\n" << read_file(tmp.file(file));
    return j.is_object() ? j : json::object();
  };
  const std::string limit_file = v2 ? "/work/memory.max" : "/work/memory.limit_in_bytes";

  json first = doc("apply1.json");
  EXPECT_EQ(first.value("kind", ""), "apply");
  EXPECT_TRUE(first.value("changed", false)) << first.dump(2);
  EXPECT_FALSE(find_change(first["changes"], "create", "cgroup", "/" + cg.name() + "/work").is_null()) << first.dump(2);
  json limit = find_change(first["changes"], "create", "cgroup_file", limit_file);
  if (limit.is_null()) limit = find_change(first["changes"], "modify", "cgroup_file", limit_file);
  ASSERT_FALSE(limit.is_null()) << first.dump(2);
  EXPECT_EQ(limit["after"], "67108864") << limit.dump();
  EXPECT_TRUE(limit["from"].is_string() && limit["from"].get<std::string>().rfind(a + ":5:", 0) == 0) << limit.dump();
  EXPECT_TRUE(contains(read_file(tmp.file("apply1.err")), "(" + a + ":")) << "-v still logs each change on stderr";

  json second = doc("apply2.json");
  EXPECT_FALSE(second.value("changed", true)) << second.dump(2);
  EXPECT_EQ(second["changes"], json::array()) << second.dump(2);

  json third = doc("apply3.json");
  EXPECT_TRUE(third.value("changed", false)) << third.dump(2);
  json changed = find_change(third["changes"], "modify", "cgroup_file", limit_file);
  ASSERT_FALSE(changed.is_null()) << third.dump(2);
  EXPECT_EQ(changed["before"], "67108864") << changed.dump();
  EXPECT_EQ(changed["after"], "33554432") << changed.dump();

  json kill = doc("kill.json");
  EXPECT_EQ(kill, json::parse(R"({"nsplan_json": 1, "kind": "kill", "profile": ")" + name + R"(", "processes": 0, "signal": 15})"));

  json gone = doc("destroy1.json");
  EXPECT_EQ(gone.value("kind", ""), "destroy");
  EXPECT_TRUE(gone.value("changed", false)) << gone.dump(2);
  EXPECT_FALSE(find_change(gone["removed"], "delete", "cgroup", "/" + cg.name() + "/work").is_null()) << gone.dump(2);
  json again = doc("destroy2.json");
  EXPECT_FALSE(again.value("changed", true)) << again.dump(2);
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{}) << "destroy left cgroups";

  // Every document against the schema, where python3 is (the host: CI has it, and
  // json_schema_test.py checks every kind there too). The VMs' busybox initramfs has none; the
  // assertions above run there all the same.
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) return;
  std::string cmd = "python3 -c 'import json, sys, jsonschema; v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])));"
                    " [v.validate(json.load(open(f))) for f in sys.argv[2:]]' " +
                    source_dir() + "/schema/nsplan-output.schema.json";
  for (const char* f : {"apply1.json", "apply2.json", "apply3.json", "kill.json", "destroy1.json", "destroy2.json"}) cmd += " " + tmp.file(f);
  EXPECT_EQ(std::system((cmd + " 2>&1").c_str()), 0) << cmd;
}

}  // namespace
}  // namespace nsplan::kernel_test
