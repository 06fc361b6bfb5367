// Text for man pages (roff, man macros). Here in schema/ because it is the lowest library that
// both pages are made in: nsplan-profile(5) from the field table, nsplan(1) from the CLI.
#pragma once
#include <string>
#include <string_view>

namespace nsplan::roff {

// Running text: a backslash, and a '.' or '\'' that would start a request at the beginning of a
// line, are escaped; characters beyond ASCII become \[uXXXX], so the page is plain ASCII and the
// same in every locale; `code` (Markdown style, as the docs write it) becomes bold.
std::string text(std::string_view s);

// A word the reader types as it stands (an option, a key, a command): text() with '-' as \-, the
// hyphen-minus, which a reader can copy into a shell and search for.
std::string word(std::string_view s);

}  // namespace nsplan::roff
