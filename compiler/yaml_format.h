// nsplan fmt: the canonical layout of a profile, keeping every comment.
//
// yaml-cpp keeps no comments, so the layout is not emitted from a tree: the file's own lines are
// kept and re-indented. The parse tree says where each block mapping key and each block list
// dash is; each gets the canonical column (two spaces a level, list dashes two spaces in from
// their key); the lines that continue it (a flow collection, a multi-line scalar) move with it.
// Within a line, "key:    value" becomes "key: value" (unless a comment follows, whose column
// is the author's) and "-   item" becomes "- item". Comment lines take the column of the line
// they stand above. Blank lines: at most one in a row, none at the start or the end; trailing
// blanks go, except inside multi-line scalars. Scalars, flow collections, quotes and key order
// are left as written: the layout changes, never what the file says.
//
// The result is parsed again and must give the same tree (values, quotes, order): if not (a
// construct this layout does not handle), the file is left as it is and the error says where.
#pragma once
#include <optional>
#include <string>

#include "compiler/diagnostics.h"

namespace nsplan {

struct FormatOutcome {
  SourceManager sources;
  Diagnostics diags;                    // syntax errors, or why the file was left as it is
  std::optional<std::string> formatted;  // set when the file could be laid out
};

FormatOutcome format_profile_text(const std::string& path, const std::string& text);

}  // namespace nsplan
