// A profile as a systemd (252) drop-in for a .service unit: the resource-control directives of
// systemd.resource-control(5), the namespace and sandbox directives of systemd.exec(5), the
// rlimits, and ExecStart= for the command. Its resource-control lines alone are valid in a
// [Scope] or [Slice] section too; the rest are [Service] only. Pure; docs/export.md has the table.
#pragma once
#include "compiler/export_target.h"

namespace nsplan::exporting {

// The drop-in text, each directive after a comment naming the profile line it comes from (when
// SOURCES is given), and a diagnostic for each part of P that systemd cannot express.
ExportResult export_systemd(const Profile& p, const ExportOptions& options, const SourceManager* sources);

// VALUE as one line of a unit file carries it; nullopt when it has a line break. No escaping: the
// directives nsplan writes from profile text escape their own ('%' is a specifier in some).
std::optional<std::string> unit_line_value(const std::string& text);

// TEXT as one double-quoted word of a unit file, which systemd C-unescapes: '\\' and '"'
// escaped, line breaks as \n and \r, '%' as "%%" (a specifier otherwise), and when DOLLAR (in
// ExecStart=, which expands $VAR) '$' as "$$".
std::string quoted_word(const std::string& text, bool dollar);

// One word of ExecStart=, as systemd passes it on unchanged: as it is when it has only letters,
// digits and _./=,:+-@; else quoted_word.
std::string exec_word(const std::string& word);

// "150%", "33.33%": QUOTA/PERIOD as systemd's CPUQuota= percentage (hundredths at most);
// EXACT says whether systemd's quota per period equals QUOTA again.
std::string cpu_quota_percent(uint64_t quota_us, uint64_t period_us, bool& exact);

}  // namespace nsplan::exporting
