// Loads a profile file and everything it names with `extends:` (one base profile) and
// `include:` (fragments), and merges them into one YAML tree. Later wins: the base, then each
// include in order, then the file itself. Maps merge key by key; scalars and lists are replaced
// whole. Every node keeps the file it came from, so errors point into included files.
#pragma once
#include <functional>
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/yaml_tree.h"

namespace nsplan {

// Reading files is the caller's business (the compiler makes no syscalls): the CLI passes a
// reader of real files, tests pass an in-memory one.
struct FileContent {
  bool ok = false;
  std::string text;
  std::string identity;  // the same file always gives the same identity (e.g. its realpath)
  std::string error;     // "No such file or directory"
};
using FileReader = std::function<FileContent(const std::string& path)>;

struct LoadLimits {
  size_t max_files = 64;
  size_t max_depth = 16;
};

// Returns the merged tree, or null when nothing usable could be read (errors are in `diags`).
YamlPtr load_profile(const std::string& path, const FileReader& read, SourceManager& sm,
                     Diagnostics& diags, const LoadLimits& limits = {});

// The merge rule on its own (for tests): `over` wins.
YamlPtr merge_yaml(const YamlPtr& base, const YamlPtr& over);

}  // namespace nsplan
