// Whether a value read back from a cgroup file is the value nsplan wrote. The kernel answers in
// its own forms: memory limits rounded down to pages and -1 read as 9223372036854771712, io.max
// with every key spelled out, cpu lists normalised, several devices per file.
#pragma once
#include <string>

namespace nsplan::applier {

bool cgroup_value_matches(const std::string& file, const std::string& wanted, const std::string& read);

// The page size the kernel rounds memory limits to (the machine's, 4096 on x86-64).
long page_size();

}  // namespace nsplan::applier
