// Profiles read from a git repository: `nsplan diff git:REV:PATH ...` compiles a profile as it
// was at a revision. The blob is read with `git cat-file blob REV:PATH`, run by fork/exec with an
// argument vector (no shell): a REV starting with '-' is refused, so no part of the argument can
// be taken for an option of git. The blob is untrusted input like any profile file: at most
// `max_bytes` are read (git is killed past that), and the compiler checks the rest.
//
// Files it includes by a path (`include: net.yaml`) come from the same revision, below the
// directory of the file that names them; profiles named by name come from the search path on
// disk, as always (files.h).
#pragma once
#include <optional>
#include <string>

#include "applier/files.h"
#include "compiler/loader.h"

namespace nsplan::applier {

struct GitSource {
  std::string rev;   // "HEAD~1", "main"
  std::string path;  // in the revision's tree, as git takes it after "REV:"
};

// "git:REV:PATH" (split at the first ':' after "git:"); nullopt for anything not starting with
// "git:". ERROR is set, and nullopt returned, for a malformed one.
std::optional<GitSource> parse_git_source(const std::string& arg, std::string& error);

// The blob REV:PATH, read with git from the current directory's repository.
FileContent read_git_blob(const std::string& rev, const std::string& path, size_t max_bytes = kMaxProfileBytes);

// A FileReader for compile_file whose main file (named "git:REV:PATH") and the files it includes
// by path come from git; search-path profiles from disk.
FileReader git_file_reader(const GitSource& source, size_t max_bytes = kMaxProfileBytes);

}  // namespace nsplan::applier
