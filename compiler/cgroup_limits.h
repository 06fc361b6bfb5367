// What the kernel does with each cgroup value nsplan writes, as ranges: the compiler refuses what
// the kernel would refuse or silently store as something else (units.cc, checks.cc,
// plan_cgroup.cc), and the applier compares what it reads back after the kernel's own rounding
// (applier/cgroup_values.cc). Each limit names the kernel code that sets it; docs/cgroup-v1-v2.md
// lists them for users. The weights' ranges are in the field table (schema/fields.cc) and in
// compiler/translate.cc.
#pragma once
#include <cstdint>

namespace nsplan::cgroup_limits {

// Memory sizes (memory.max / limit_in_bytes, swap, soft, low, high, min; v1 and v2):
// mm/page_counter.c page_counter_memparse keeps bytes / PAGE_SIZE, rounded down, capped without
// a word at PAGE_COUNTER_MAX = LONG_MAX / PAGE_SIZE pages (include/linux/page_counter.h, 64-bit),
// which is also what "max" (v2) and -1 (v1) store. With 4 KiB pages, the smallest Linux uses,
// the largest size kept is 2^63 - 4096 bytes (8 EiB - 4 KiB), and it already means no limit.
constexpr uint64_t kMaxMemoryBytes = (uint64_t{1} << 63) - 4096;
constexpr char kMaxMemoryText[] = "8 EiB - 4 KiB";

// cpu.max (v2), cpu.cfs_period_us and cpu.cfs_quota_us (v1): kernel/sched/core.c
// tg_set_cfs_bandwidth refuses (EINVAL) a period outside 1 ms..1 s (min_cfs_quota_period,
// max_cfs_quota_period) and a quota below 1 ms or above max_cfs_runtime = MAX_BW µs
// (2^44 - 1, kernel/sched/sched.h).
constexpr uint64_t kMinCpuPeriodUs = 1000;
constexpr uint64_t kMaxCpuPeriodUs = 1000000;
constexpr uint64_t kDefaultCpuPeriodUs = 100000;
constexpr uint64_t kMinCpuQuotaUs = 1000;
constexpr uint64_t kMaxCpuQuotaUs = (uint64_t{1} << 44) - 1;

// v1 memory.swappiness: mm/memcontrol-v1.c mem_cgroup_swappiness_write refuses (EINVAL) a value
// above MAX_SWAPPINESS, 200 since Linux 5.8 (100 before, like vm.swappiness).
constexpr uint64_t kMaxSwappiness = 200;

// cpu.uclamp.min/max: kernel/sched/core.c capacity_from_percent takes a percentage with at most
// two decimals, 0.00..100.00 (ERANGE above), or "max"; it shows 100.00 as "max".
constexpr uint64_t kMaxUclampHundredths = 10000;

// pids.max (v1 and v2): kernel/cgroup/pids.c pids_max_write refuses (EINVAL) a number at or
// above PIDS_MAX = PID_MAX_LIMIT + 1; PID_MAX_LIMIT is 4 Mi on 64-bit (include/linux/threads.h).
constexpr uint64_t kMaxPids = uint64_t{4} * 1024 * 1024;

// io.max riops/wiops (v2) and blkio.throttle.*_iops_device (v1): block/blk-throttle.c keeps
// operations per second in 32 bits. io.max (tg_set_limit) caps a larger number at UINT_MAX, which
// reads back as "max"; v1 (tg_set_conf_uint) cuts it to its low 32 bits: 2^32 becomes a limit of
// 0. UINT_MAX itself means no limit.
constexpr uint64_t kMaxIops = 4294967294;  // UINT_MAX - 1
// rbps/wbps: 64 bits, U64_MAX means no limit (reads back as "max", v1 removes the rule).
constexpr uint64_t kMaxBps = UINT64_MAX - 1;
// A rate of 0: io.max refuses it (ERANGE), v1 takes 0 as "remove the rule" (no limit).
constexpr uint64_t kMinIoRate = 1;

// cpuset.cpus / cpuset.mems: kernel/cgroup/cpuset.c parses with bitmap_parselist, refusing
// (ERANGE) an index at or above nr_cpu_ids (NR_CPUS is at most 8192) or MAX_NUMNODES (at most
// 1 << 10, NODES_SHIFT <= 10); an index below those that is not online (v1: not in the top
// cpuset; v2: not possible) is refused with EINVAL. What is online is a fact of the host
// (HostFacts::online_cpus, memory_nodes), checked when nsplan plans for the host it runs on.
constexpr uint64_t kMaxCpuIndex = 8191;
constexpr uint64_t kMaxMemoryNodeIndex = 1023;

// v1 blkio.weight is CFQ's (Linux before 5.0): block/cfq-iosched.c refuses (ERANGE) weights
// outside CFQ_WEIGHT_LEGACY_MIN..MAX = 10..1000; BFQ's blkio.bfq.weight takes 1..1000.
constexpr uint64_t kMinCfqWeight = 10;
constexpr uint64_t kMaxV1Weight = 1000;  // BFQ_MAX_WEIGHT, CFQ_WEIGHT_LEGACY_MAX

// v1 cpu.rt_runtime_us / cpu.rt_period_us (CONFIG_RT_GROUP_SCHED): kernel/sched/rt.c
// tg_set_rt_bandwidth refuses (EINVAL) a period of 0 and a runtime above max_rt_runtime = MAX_BW
// ns (2^44 - 1 ns, a little over 4 hours); tg_rt_schedulable refuses a runtime above the period,
// a share (runtime / period) above the global one (sched_rt_runtime_us / sched_rt_period_us), and
// children whose shares add up to more than their parent's. A new group starts with runtime 0
// and the global period, 1 s by default (sysctl_sched_rt_period).
constexpr uint64_t kMaxRtRuntimeUs = ((uint64_t{1} << 44) - 1) / 1000;
constexpr uint64_t kDefaultRtPeriodUs = 1000000;

}  // namespace nsplan::cgroup_limits
