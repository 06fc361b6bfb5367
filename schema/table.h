// The one table of profile fields. Each object of the format is an ObjectSpec listing its
// fields: key, value type (with unit and range), default, doc line, since-version, and the slot
// of the typed model (schema/model.h) the value goes into. The reader (compiler/profile_reader),
// `nsplan schema` (schema/json_schema) and docs/reference.md are all driven from it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "schema/model.h"

namespace nsplan::schema {

enum class Kind {
  String,     // free text (description, env values)
  Name,       // profile / namespace names: [A-Za-z0-9_.-], 1..64, not starting with '-' or '.'
  IfName,     // network interface name: 1..15 bytes, no '/', ':', '%' or whitespace
  Mac,        // unicast Ethernet address: 02:00:00:00:00:01
  CgroupPath, // relative path below the cgroup root, no '..' and no empty components
  AbsPath,    // absolute filesystem path
  Hostname,   // RFC 1123 label(s), up to 64 bytes
  Octal,      // file mode such as 1777
  Account,    // a user or group: a name (alice, _apt) or a number (1000)
  Device,     // block device "MAJ:MIN" or /dev/... path
  Bool,
  UInt,       // unsigned integer in [min, max]
  Int,        // signed integer in [min, max]
  Bytes,      // memory size: 3G, 512M, 1073741824, max
  MemoryLimit,  // a Bytes value, or a percentage of the target's RAM: 5%, 12.5%
  Percent,    // 0..100 with up to two decimals, or max (uclamp)
  Count,      // integer or "max"
  CpuMax,     // 50%, 1.5 (cores), 50000/100000 (µs), max
  CpuList,    // 0-3,5
  Cidr,       // 10.0.0.1/24, fd00::1/64
  IpAddress,  // 10.0.0.1, fd00::1
  Route,      // "default" or a CIDR
  Enum,       // one of `choices`
  IdMap,      // "0 100000 65536", or a list of such lines / {inside, outside, count}
  Rlimit,     // n, unlimited, or {soft, hard}
  StringMap,  // map of string to string (env)
  Object,     // a nested ObjectSpec
};

struct TypeSpec {
  Kind kind = Kind::String;
  bool list = false;  // a YAML sequence of `kind` (for Object: a list of objects)
  int64_t min = 0, max = 0;  // UInt/Int range, inclusive
  std::vector<std::string_view> choices;  // Enum
  std::string_view unit;  // shown in docs: "bytes", "µs", "seconds"
};

struct ObjectSpec;

// A pointer to the model member a field is stored in.
struct ObjectSlot {
  void* object;  // the nested struct, already emplaced
  const ObjectSpec* spec;
};
struct ObjectListSlot {
  std::function<void*(SourceLoc)> emplace_back;  // appends an element written at loc, returns its address
  const ObjectSpec* spec;
};
using StringPairs = std::vector<std::pair<Located<std::string>, Located<std::string>>>;
using Slot = std::variant<Opt<std::string>*, Opt<bool>*, Opt<uint64_t>*, Opt<int64_t>*,
                          Opt<ByteLimit>*, Opt<CountLimit>*, Opt<CpuMax>*, Opt<IpAddress>*,
                          Opt<Rlimit>*, Located<std::string>*, Located<uint64_t>*,
                          std::vector<Located<std::string>>*, std::vector<Located<Cidr>>*,
                          std::vector<Located<IdRange>>*, std::vector<Located<uint64_t>>*, StringPairs*, ObjectSlot,
                          ObjectListSlot>;

struct FieldSpec {
  std::string_view key;
  TypeSpec type;
  std::string_view doc;
  std::string_view default_text;  // "" = no default (absent means "leave as the kernel has it")
  bool required = false;
  int since = 1;  // format version that introduced the field
  std::function<Slot(void* owner)> slot;
  const ObjectSpec* (*nested)() = nullptr;  // for Object fields
  std::function<void(void* owner, SourceLoc)> mark_object;  // records the location of a nested object
};

struct ObjectSpec {
  std::string_view name;  // "memory", "link", ...
  std::string_view doc;
  std::vector<FieldSpec> fields;
  const FieldSpec* find(std::string_view key) const {
    for (const auto& f : fields)
      if (f.key == key) return &f;
    return nullptr;
  }
};

// The root of the table: a whole profile.
const ObjectSpec& profile_spec();
// The newest format version this build reads.
constexpr uint64_t kFormatVersion = 1;

}  // namespace nsplan::schema
