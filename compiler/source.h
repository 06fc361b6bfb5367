// Source files and positions inside them. Every value read from a profile keeps where it came
// from, so that diagnostics and explain comments can name file:line:col.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/located.h"

namespace nsplan {

class SourceManager {
 public:
  struct File {
    std::string path;     // as the user named it (relative paths stay relative)
    std::string text;
    SourceLoc included_at;  // where an include:/extends: named this file; invalid for the main file
    std::vector<size_t> line_starts;  // offset of each line's first byte (line_text in O(1))
  };

  // Adds a file's text; returns its id (never 0).
  uint32_t add(std::string path, std::string text, SourceLoc included_at = {});
  const File& file(uint32_t id) const { return files_.at(id - 1); }
  size_t size() const { return files_.size(); }

  // The text of a 1-based line, without its newline; empty if out of range.
  std::string_view line_text(uint32_t file, uint32_t line) const;
  // Where the byte at `offset` of a file is: line and byte column, 1-based.
  SourceLoc loc_at(uint32_t file, size_t offset) const;
  // "path:line:col"
  std::string describe(const SourceLoc& loc) const;

 private:
  std::vector<File> files_;
};

}  // namespace nsplan
