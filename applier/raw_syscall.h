// System calls that leave errno alone: for a child that shares its parent's memory and thread
// pointer (clone with CLONE_VM, link_group_delete.cc), where libc's wrappers would write the
// errno of the parent's thread while that thread runs. Returns what the kernel returns: the
// result, or -errno.
#pragma once
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace nsplan::applier {

inline long raw_syscall(long number, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                        long a6 = 0) {
#if defined(__x86_64__)
  register long r10 asm("r10") = a4;
  register long r8 asm("r8") = a5;
  register long r9 asm("r9") = a6;
  long result;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return result;
#elif defined(__aarch64__)
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a1;
  register long x1 asm("x1") = a2;
  register long x2 asm("x2") = a3;
  register long x3 asm("x3") = a4;
  register long x4 asm("x4") = a5;
  register long x5 asm("x5") = a6;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
  return x0;
#else
  // Elsewhere libc's generic entry, which sets errno when the call fails (only then).
  long result = ::syscall(number, a1, a2, a3, a4, a5, a6);
  return result < 0 ? -errno : result;
#endif
}

}  // namespace nsplan::applier
