// Did-you-mean for words a user typed: the candidate nearest to a word, by edit distance.
#pragma once
#include <string>
#include <vector>

namespace nsplan::cli {

// The candidate at the smallest edit distance from WORD (insertions, deletions, substitutions,
// and swaps of two neighbours: "aply", "destory"), if that distance is at most 2 and no other
// candidate is as near; "" otherwise.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace nsplan::cli
