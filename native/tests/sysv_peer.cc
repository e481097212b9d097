// A plain C program's side of System V shared memory, for the Node test
// that checks electron-shm interoperates with one (test/140.sysv.test.ts):
// creates the segment of the key given, writes a greeting, prints its id,
// waits for a line on stdin, prints what it finds written back, detaches.
// Only the C library: what an existing C program (or X11) does.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  key_t key = static_cast<key_t>(std::strtol(argv[1], nullptr, 0));
  int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) {
    std::perror("shmget");
    return 1;
  }
  auto* memory = static_cast<char*>(shmat(id, nullptr, 0));
  if (memory == reinterpret_cast<char*>(-1)) {
    std::perror("shmat");
    return 1;
  }
  std::strcpy(memory, "hello from C");
  std::printf("%d\n", id);
  std::fflush(stdout);
  char line[16];
  if (std::fgets(line, sizeof line, stdin) == nullptr) return 1;
  std::printf("%s\n", memory + 100);
  shmdt(memory);
  return 0;
}
