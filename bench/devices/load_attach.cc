// How long attaching nsplan's v2 device program takes, two ways, in one run: the hand-assembled
// instructions through bpf(2) directly (what applier/bpf_device.cc does) and the same
// instructions through libbpf's bpf_prog_load/bpf_prog_attach (the library alternative), each
// load + attach + detach on a cgroup2 directory this program makes and removes. Not built by
// CMake (libbpf-dev is not a dependency of nsplan); see bench/README.md:
//
//   g++ -O2 -std=c++20 -I. bench/devices/load_attach.cc applier/device_program.cc \
//       compiler/device_rules.cc applier/bpf_device.cc -lbpf -o /tmp/load_attach
//   sudo /tmp/load_attach /sys/fs/cgroup/unified 200
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "applier/bpf_device.h"
#include "applier/device_program.h"

using namespace nsplan::applier;

static double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CGROUP2_MOUNT ROUNDS\n", argv[0]);
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/nsplan-t-" + std::to_string(getpid()) + "-bench-dev";
  const int rounds = std::max(1, std::atoi(argv[2]));
  if (mkdir(dir.c_str(), 0755) != 0) return perror("mkdir"), 1;
  int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // OCI's default list: 8 rules.
  const std::vector<std::string> rules{"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                                       "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"};
  auto insns = device_program(false, rules);
  std::vector<double> raw, lib;
  int failures = 0;
  for (int i = 0; i < rounds; ++i) {
    double t0 = now_us();
    auto id = attach_device_program(cg, *insns, "nsplan_bench");
    failures += !id.ok() || !detach_device_program(cg, id.value()).ok();
    raw.push_back(now_us() - t0);

    t0 = now_us();
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "nsplan_bench", "GPL",
                           reinterpret_cast<const struct bpf_insn*>(insns->data()), insns->size(), &opts);
    failures += fd < 0 || bpf_prog_attach(fd, cg, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) != 0 ||
                bpf_prog_detach2(fd, cg, BPF_CGROUP_DEVICE) != 0;
    if (fd >= 0) close(fd);
    lib.push_back(now_us() - t0);
  }
  close(cg);
  rmdir(dir.c_str());
  std::printf("device program of %zu rules (%zu instructions), load + attach + detach, median of %d:\n", rules.size(),
              insns->size(), rounds);
  std::printf("  bpf(2) directly: %8.1f us\n  libbpf:          %8.1f us\n  ratio:           %8.2f\n", median(raw),
              median(lib), median(raw) / median(lib));
  return failures ? 1 : 0;
}
