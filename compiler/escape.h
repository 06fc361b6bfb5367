// Text the kernel hands back may hold any bytes: sethostname(2) takes any, a link name anything
// but '/', ':' and whitespace, a cgroup file what its writer wrote, an extended ack what a driver
// says. escaped() is the one way such text reaches a terminal or JSON: valid UTF-8 with nothing a
// terminal acts on, that still shows exactly which bytes were there. Applied once, where the
// text is presented (the raw bytes stay as they are for undo records and comparisons).
#pragma once
#include <string>
#include <string_view>

namespace nsplan::text {

// Printable UTF-8 as it is; a backslash as "\\"; every byte of invalid UTF-8, of a control
// character (C0, DEL, C1: ESC, CR, newline, tab too) and of a bidirectional override or isolate
// as "\xNN" (lower-case hex). "\xff\x1b" + "x" -> "\\xff\\x1bx"; "é" stays "é".
std::string escaped(std::string_view raw);

}  // namespace nsplan::text
