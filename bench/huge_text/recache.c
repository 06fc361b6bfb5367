/* bench/huge_text.sh: puts each FILE in the page cache in 2 MB folios, so that a program run from
 * it can map its text in 2 MB pages. Drops the file's cached pages (they must be clean and mapped
 * by no one: a fresh copy, synced here), then reads it back through a 2 MB-aligned mapping
 * marked MADV_HUGEPAGE, whose faults read ahead whole 2 MB folios. Fails unless at least one
 * 2 MB page ended up mapped: the benchmark would otherwise compare a binary with itself. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TWO_MB ((size_t)2 << 20)

/* kB of the mapping at START mapped by 2 MB entries (FilePmdMapped in /proc/self/smaps). */
static long pmd_mapped_kb(uintptr_t start) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  int in_mapping = 0;
  long kb = -1;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long from, to;
    if (sscanf(line, "%lx-%lx ", &from, &to) == 2 && strchr(line, '-') < strchr(line, ' '))
      in_mapping = from == start;
    else if (in_mapping && sscanf(line, "FilePmdMapped: %ld kB", &kb) == 1)
      break;
  }
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[i]); return 1; }
    if (fdatasync(fd) != 0) { perror(argv[i]); return 1; }
    int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  /* returns its error, errno untouched */
    if (err != 0) { fprintf(stderr, "%s: posix_fadvise: %s\n", argv[i], strerror(err)); return 1; }
    /* A 2 MB-aligned address: reserve 2 MB more than needed, map the file at the boundary. */
    char *area = mmap(NULL, st.st_size + TWO_MB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) { perror("mmap"); return 1; }
    char *at = (char *)(((uintptr_t)area + TWO_MB - 1) & ~(uintptr_t)(TWO_MB - 1));
    char *p = mmap(at, st.st_size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED || madvise(p, st.st_size, MADV_HUGEPAGE) != 0) { perror(argv[i]); return 1; }
    volatile char sum = 0;
    for (off_t off = 0; off < st.st_size; off += 4096) sum += p[off];
    long kb = pmd_mapped_kb((uintptr_t)p);
    printf("%s: %ld kB of %lld in 2 MB pages\n", argv[i], kb, (long long)st.st_size / 1024);
    if (kb <= 0) {
      fprintf(stderr, "%s: no 2 MB page mapped (the file system must cache large folios, THP must not be off)\n", argv[i]);
      return 1;
    }
    munmap(area, st.st_size + TWO_MB);
    close(fd);
  }
  return 0;
}
