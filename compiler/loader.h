// Loads a profile file and everything it names with `extends:` (one base profile) and
// `include:` (fragments), and merges them into one YAML tree. Later wins: the base, then each
// include in order, then the file itself. Maps merge key by key; scalars and lists are replaced
// whole. Every node keeps the file it came from, so errors point into included files.
//
// Where a named file may come from is decided here (pure policy) and enforced by the reader
// when it opens the file, before it reads a byte: a path names a file below the directory of
// the profile that names it; a bare name (no '/', no .yaml/.yml) names NAME.yaml in a
// directory of the profile search path (schema/profile_search_path.h); an absolute path must
// lie below such a directory.
//
// The profile named on the command line follows the same rule of form (compiler/names.h): a
// path is read where it is, a bare name is looked up on the search path (never in the current
// directory), and `-` is standard input, shown as <stdin>.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/yaml_tree.h"
#include "schema/profile_search_path.h"

namespace nsplan {

// How a profile read from standard input (`nsplan apply -`) is named in diagnostics, explain
// comments and plans. Never a file's name: '<' is neither in a profile name nor in a path the
// command line reads as a file.
inline constexpr const char* kStdinPath = "<stdin>";

// One file the loader wants. Reading files is the caller's business (the compiler makes no
// syscalls): the CLI passes a reader of real files (applier/files.h) that opens `name` below
// the directory and nowhere else (no "..", no absolute path, no symbolic link out of it); tests
// pass an in-memory one, which may go by `path` alone.
struct FileRequest {
  enum class Within {
    AsGiven,             // the profile named on the command line: `path`, wherever it is
    StandardInput,       // the profile given as `-` on the command line (`path` is kStdinPath)
    IncludingDirectory,  // below `directory`, the directory of the file that names this one
    SearchDirectory,     // below `search_directory`, a directory of the profile search path
  };
  std::string path;  // as the user sees it in diagnostics and explain comments
  Within within = Within::AsGiven;
  int directory = -1;             // IncludingDirectory: FileContent::directory of the includer
  std::string directory_path;     // the directory, as the user sees it (for messages)
  std::string search_directory;   // SearchDirectory
  std::string name;               // relative to the directory, without "." or ".." components
};

struct FileContent {
  bool ok = false;
  std::string text;
  std::string identity;  // the same file always gives the same identity (e.g. dev:ino)
  // The reader's handle to the directory holding this file, as it was opened: the files this
  // one names are looked up below it (not below a path name that could be swapped meanwhile).
  int directory = -1;
  bool missing = false;  // there is no such file (the next directory of the search path is tried)
  std::string error;     // "No such file or directory"
  std::string hint;
};
using FileReader = std::function<FileContent(const FileRequest& request)>;

struct LoadOptions {
  // Absolute directories searched in order for a profile named by name (`nsplan apply base`,
  // `extends: base`).
  std::vector<std::string> search_path{kProfileSearchPath.begin(), kProfileSearchPath.end()};
  // The profile names a search directory holds, for the did-you-mean of a name not found
  // (listing is the caller's business, as reading is); null: no suggestion.
  std::function<std::vector<std::string>(const std::string& directory)> names_in;
  size_t max_files = 64;
  size_t max_depth = 16;
};

// Returns the merged tree, or null when nothing usable could be read (errors are in `diags`).
// PATH is what the command line named: a file, a profile name, or `-`.
YamlPtr load_profile(const std::string& path, const FileReader& read, SourceManager& sm,
                     Diagnostics& diags, const LoadOptions& options = {});

// The merge rule on its own (for tests): `over` wins.
YamlPtr merge_yaml(const YamlPtr& base, const YamlPtr& over);

}  // namespace nsplan
