// A buffer for recv(): not zeroed, so that only the pages the kernel writes into are faulted in.
// A zeroed std::vector<char> of 64 KiB touched all 16 of its pages at each use, each a page
// fault on a fresh heap (docs/performance.md).
#pragma once
#include <cstddef>
#include <memory>

namespace nsplan::applier {

class ReceiveBuffer {
 public:
  explicit ReceiveBuffer(size_t size) : data_(new char[size]), size_(size) {}
  char* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> data_;  // new char[n]: default-initialised, left as it is
  size_t size_;
};

}  // namespace nsplan::applier
