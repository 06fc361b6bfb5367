#include "applier/process_attrs.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "applier/launch_steps.h"

namespace nsplan::applier {
namespace {

std::string failed(const std::string& what) { return what + ": " + std::strerror(errno); }

constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;

}  // namespace

std::string apply_process_attrs(const plan::ProcessAttrs& p) {
  if (p.umask) ::umask(static_cast<mode_t>(*p.umask));
  if (p.nice && setpriority(PRIO_PROCESS, 0, *p.nice) != 0) return failed("setpriority " + std::to_string(*p.nice));
  if (p.oom_score_adj && !launch::write_file("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj)))
    return failed("write " + std::to_string(*p.oom_score_adj) + " to /proc/self/oom_score_adj");
  if (p.ioprio) {
    int value = (p.ioprio->class_value << kIoprioClassShift) | p.ioprio->level;
    if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) != 0) return failed("ioprio_set " + p.ioprio->io_class);
  }
  if (p.sched) {
    struct sched_param param {};
    param.sched_priority = p.sched->priority;
    if (sched_setscheduler(0, p.sched->policy_value, &param) != 0) return failed("sched_setscheduler " + p.sched->policy);
  }
  if (!p.cpu_list.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : p.cpu_list) CPU_SET(c, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return failed("sched_setaffinity " + p.cpus);
  }
  return "";
}

}  // namespace nsplan::applier
