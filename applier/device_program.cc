#include "applier/device_program.h"

#include "compiler/device_rules.h"

namespace nsplan::applier {
namespace {

using device_rules::Rule;

// The registers the program keeps the request in (struct bpf_cgroup_dev_ctx, read once).
constexpr uint8_t kCtx = 1, kType = 3, kAccess = 4, kMajor = 5, kMinor = 6, kScratch = 7;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_word(uint8_t dst, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, off, 0); }
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn and_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
// Jumps to the end of the current rule's block; the offset is set once the block is complete.
bpf_insn skip_if(uint8_t op, uint8_t reg, int32_t imm) { return insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm); }

// One exception: falls through to the verdict when the request matches it, else skips past it.
std::vector<bpf_insn> block(const Rule& r, bool default_allow) {
  std::vector<bpf_insn> b;
  b.push_back(skip_if(BPF_JNE, kType, r.type));
  if (r.major != device_rules::kAny) b.push_back(skip_if(BPF_JNE, kMajor, static_cast<int32_t>(r.major)));
  if (r.minor != device_rules::kAny) b.push_back(skip_if(BPF_JNE, kMinor, static_cast<int32_t>(r.minor)));
  if (r.access != device_rules::kAll) {
    b.push_back(mov_reg(kScratch, kAccess));
    if (default_allow) {
      // A denying rule matches on any access in common (match_exception_partial).
      b.push_back(and_imm(kScratch, r.access));
      b.push_back(skip_if(BPF_JEQ, kScratch, 0));
    } else {
      // An allowing rule must cover every access asked for (match_exception).
      b.push_back(and_imm(kScratch, ~r.access & device_rules::kAll));
      b.push_back(skip_if(BPF_JNE, kScratch, 0));
    }
  }
  b.push_back(mov_imm(0, default_allow ? 0 : 1));
  b.push_back(exit_insn());
  for (size_t i = 0; i < b.size(); ++i)
    if (BPF_CLASS(b[i].code) == BPF_JMP && BPF_OP(b[i].code) != BPF_EXIT) b[i].off = static_cast<int16_t>(b.size() - i - 1);
  return b;
}

}  // namespace

std::optional<std::vector<bpf_insn>> device_program(bool default_allow, const std::vector<std::string>& exceptions) {
  std::vector<bpf_insn> p{
      load_word(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov_reg(kAccess, kType),
      and_imm(kType, 0xffff),  // BPF_DEVCG_DEV_*
      rsh_imm(kAccess, 16),    // BPF_DEVCG_ACC_*
      load_word(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_word(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& text : exceptions) {
    std::string error;
    auto rules = device_rules::parse(text, error);
    if (!rules) return std::nullopt;
    for (const Rule& r : *rules) {
      auto b = block(r, default_allow);
      p.insert(p.end(), b.begin(), b.end());
    }
  }
  p.push_back(mov_imm(0, default_allow ? 1 : 0));
  p.push_back(exit_insn());
  return p;
}

}  // namespace nsplan::applier
