// Which characters a profile may hold. What a profile says reaches a reviewer's terminal (explain
// scripts, diagnostics, the file itself), so characters that make text look other than it is are
// refused: control characters (escape sequences, CR and the like can hide or rewrite a line) and
// the bidirectional overrides and isolates U+202A..U+202E, U+2066..U+2069 ("Trojan Source":
// they make a line display in another order than it is read). Each message names the character.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nsplan::text {

struct Problem {
  size_t offset = 0;    // of the first offending byte
  std::string message;  // what was found, and for a file what was expected
  std::string hint;
};

// A whole profile file, before YAML reads it: valid UTF-8 throughout (an optional UTF-8 BOM at
// the start), no control character but tab and line ends (\n, \r\n), no bidirectional control.
// UTF-16 and UTF-32 files are named as such.
std::optional<Problem> check_file(std::string_view text);

// A string value after YAML has read it (escapes such as "\e" or "\u202e" are decoded by then).
// Free text keeps newline and tab; a path keeps neither. The message reads after the field's
// name: "contains control character U+001B (ESC)".
enum class Allow { NewlineAndTab, Nothing };
std::optional<Problem> check_value(std::string_view value, Allow allow);

// A control character (C0, DEL, C1) or a bidirectional override or isolate.
bool misleading(char32_t cp);

// "U+001B (ESC)", "U+202E (RIGHT-TO-LEFT OVERRIDE)", "U+00E9".
std::string code_point_name(char32_t cp);

}  // namespace nsplan::text
