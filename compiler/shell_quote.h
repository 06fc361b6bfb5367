// Quoting for POSIX sh. Every operand nsplan prints goes through sh_quote, so no value of a
// profile can become shell syntax.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace nsplan {

// 'text', with each ' written as '\''. Always quotes, even when not needed, so that the script
// reads uniformly and a reviewer can see at a glance that operands are data.
std::string sh_quote(std::string_view text);
// Words joined by spaces, each quoted.
std::string sh_quote_all(const std::vector<std::string>& words);
// A command that writes VALUE and a newline into FILE: `echo 'v' > 'f'`, or printf when echo
// could misread the value (a leading '-', a backslash).
std::string sh_write(std::string_view value, std::string_view file);
// TEXT for a `#` comment: a newline in a value must not end the comment and start a command.
std::string sh_comment_text(std::string text);

}  // namespace nsplan
