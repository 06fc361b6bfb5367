// Translations between cgroup v1 and v2 value scales. One formula per value, chosen and
// justified in docs/cgroup-v1-v2.md; each has test vectors in tests/unit/translate_test.cc.
#pragma once
#include <cstdint>

namespace nsplan::translate {

// v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000). runc >= 1.4 / crun >= 1.23 formula:
// x<=2 -> 1; x>=262144 -> 10000; else l=log2(x), e=(l*l+125*l)/612 - 7/34, ceil(10^e).
// Vectors: 2->1, 512->59, 1024->100, 2048->174, 262144->10000.
uint64_t shares_to_weight(uint64_t shares);

// v2 cpu.weight (1..10000) -> v1 cpu.shares: systemd's linear mapping weight*1024/100, clamped
// to 2..262144. Keeps the defaults equal (100 <-> 1024).
uint64_t weight_to_shares(uint64_t weight);

// v2 io.weight needs no formula: v1's weight files take it unchanged where it fits their range
// (compiler/plan_cgroup.cc, docs/cgroup-v1-v2.md "io.weight on v1").

// v1 memory.memsw.limit_in_bytes from max and swap (saturating at UINT64_MAX).
uint64_t memsw_from(uint64_t max_bytes, uint64_t swap_bytes);

}  // namespace nsplan::translate
