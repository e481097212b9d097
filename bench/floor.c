// The floor the JavaScript numbers are compared with, measured in C:
// - futex ping-pong between two processes pinned to different cores, over
//   a shared memfd: the one-way wake latency of the hardware and kernel;
// - memcpy of each frame size: what one copy of a frame costs.
// Prints one JSON object.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kRounds = 20000 };

struct Shared {
  _Atomic uint32_t turn;  // 1: the ping is out; 0: the pong is back
  uint64_t sent_ns;
  uint64_t one_way_ns[kRounds];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t* word, uint32_t value) {
  syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0); }

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static int compare(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static void futex_pingpong(void) {
  int fd = memfd_create("electron-shm-bench", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, sizeof(struct Shared)) != 0) exit(1);
  struct Shared* s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) exit(1);
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  pid_t child = fork();
  if (child == 0) {
    pin(cpus > 1 ? 1 : 0);
    for (int i = 0; i < kRounds; i++) {
      while (atomic_load(&s->turn) != 1) futex_wait(&s->turn, 0);
      s->one_way_ns[i] = now_ns() - s->sent_ns;
      atomic_store(&s->turn, 0);
      futex_wake(&s->turn);
    }
    _exit(0);
  }
  pin(0);
  usleep(20000);
  for (int i = 0; i < kRounds; i++) {
    s->sent_ns = now_ns();
    atomic_store(&s->turn, 1);
    futex_wake(&s->turn);
    while (atomic_load(&s->turn) != 0) futex_wait(&s->turn, 1);
  }
  waitpid(child, NULL, 0);
  qsort(s->one_way_ns, kRounds, sizeof(uint64_t), compare);
  printf("\"futexOneWayUs\": {\"median\": %.2f, \"p99\": %.2f, \"cpus\": %d}", s->one_way_ns[kRounds / 2] / 1000.0,
         s->one_way_ns[kRounds * 99 / 100] / 1000.0, cpus);
  munmap(s, sizeof *s);
  close(fd);
}

static void memcpy_sizes(void) {
  const size_t sizes[] = {4096, 1920 * 1080 * 4, 3840 * 2160 * 4};
  printf("\"memcpyUs\": {");
  for (int k = 0; k < 3; k++) {
    size_t n = sizes[k];
    char* src = malloc(n);
    char* dst = malloc(n);
    memset(src, 1, n);
    memset(dst, 2, n);
    int reps = n < 65536 ? 100000 : 40;
    uint64_t times[100000];
    for (int r = 0; r < reps; r++) {
      uint64_t t = now_ns();
      memcpy(dst, src, n);
      __asm__ volatile("" : : "r"(dst) : "memory");
      times[r] = now_ns() - t;
    }
    qsort(times, reps, sizeof(uint64_t), compare);
    printf("%s\"%zu\": %.3f", k ? ", " : "", n, times[reps / 2] / 1000.0);
    free(src);
    free(dst);
  }
  printf("}");
}

int main(void) {
  printf("{");
  futex_pingpong();
  printf(", ");
  memcpy_sizes();
  printf("}\n");
  return 0;
}
