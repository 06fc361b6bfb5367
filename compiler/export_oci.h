// A profile as an OCI runtime-spec config.json (the schema of runtime-spec 1.0.2-dev, as Debian's
// golang-github-opencontainers-specs-dev ships it): process, root, hostname, mounts, and in
// linux: namespaces, id mappings, resources, cgroupsPath, readonlyPaths. Pure; docs/export.md
// has the table of what maps to what and what OCI cannot express.
#pragma once
#include "compiler/export_target.h"

namespace nsplan::exporting {

// The config.json text (2-space indented, keys in a fixed order, ending in a newline) and a
// diagnostic for each part of P that OCI cannot express.
ExportResult export_oci(const Profile& p, const ExportOptions& options);

}  // namespace nsplan::exporting
