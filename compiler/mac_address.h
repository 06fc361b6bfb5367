// The one form of an Ethernet address nsplan reads: a profile's `mac:` and the address apply
// records of a link before changing it (checked again when the record is read back).
#pragma once
#include <cctype>
#include <string>
#include <string_view>

namespace nsplan {

// Six hex octets separated by ':', as ip-link(8) takes them (either case).
inline bool is_mac_text(std::string_view s) {
  bool ok = s.size() == 17;
  for (size_t i = 0; ok && i < s.size(); ++i) ok = i % 3 == 2 ? s[i] == ':' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
  return ok;
}

// In lowercase, as the kernel reports it.
inline std::string lowercase_mac(std::string_view s) {
  std::string mac(s);
  for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return mac;
}

}  // namespace nsplan
