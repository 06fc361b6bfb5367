// A YAML document as a small tree whose every node knows where it was written. Built from
// yaml-cpp's event parser (the only place yaml-cpp is used), because yaml-cpp's own Node keeps
// one of two duplicate keys silently and loses the marks of scalars we want to point at.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostics.h"

namespace nsplan {

struct YamlNode;
using YamlPtr = std::shared_ptr<const YamlNode>;

struct YamlNode {
  enum class Type { Null, Scalar, Sequence, Map };
  Type type = Type::Null;
  SourceLoc loc;
  std::string scalar;  // Scalar
  bool quoted = false;  // Scalar written in quotes: never null, never a number's shorthand
  bool flow = false;    // Sequence or Map written in brackets or braces ([a, b], {k: v})
  std::vector<YamlPtr> items;                     // Sequence
  std::vector<std::pair<YamlPtr, YamlPtr>> entries;  // Map, in file order, keys are Scalars
  uint64_t weight = 1;  // nodes below, counting each alias use in full (bounds alias bombs)

  bool is_map() const { return type == Type::Map; }
  bool is_null() const { return type == Type::Null; }
  const YamlNode* get(std::string_view key) const;  // first entry with that key, or null
  const char* type_name() const;  // "a mapping", "a list", "a scalar", "nothing"
};

struct YamlLimits {
  uint64_t max_weight = 200000;  // nodes after alias expansion
  size_t max_depth = 64;
};

// Parses one YAML document (a profile). Reports syntax errors, duplicate keys, non-scalar keys,
// a second document and oversized alias expansion into `diags`; returns null if the text could
// not be read at all. An empty document yields a Null node.
YamlPtr parse_yaml(const SourceManager& sm, uint32_t file, Diagnostics& diags,
                   const YamlLimits& limits = {});

}  // namespace nsplan
