// Whether a value read back from a cgroup file is the value nsplan wrote. The kernel answers in
// its own forms: memory limits rounded down to pages and capped at PAGE_COUNTER_MAX pages (so -1,
// max and any size from 8 EiB - 4 KiB up read back alike: 9223372036854771712 on v1, max on v2),
// io.max with every key spelled out, cpu lists normalised, several devices per file. The rules
// are the forms of compiler/cgroup_files.h; this adds the machine's page size.
#pragma once
#include <string>

namespace nsplan::applier {

bool cgroup_value_matches(const std::string& file, const std::string& wanted, const std::string& read);
// What undo writes to give a file back after nsplan wrote `wanted` over `before`.
std::string cgroup_restore_value(const std::string& file, const std::string& wanted, const std::string& before);

// The page size the kernel rounds memory limits to (the machine's, 4096 on x86-64).
long page_size();

}  // namespace nsplan::applier
