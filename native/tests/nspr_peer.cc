/*
 * A program that uses NSPR's named shared memory (Debian's libnspr4-dev),
 * for the Node test of `compat: 'nspr'` (test/052.named.nspr.test.ts).
 * Written as C, as NSPR's own users write it (built as C++, like the rest).
 *
 *   nspr_peer create NAME SIZE   PR_OpenSharedMemory(PR_SHM_CREATE), write
 *                                "from nspr" at 0, print "ready"; at a line
 *                                on stdin print the text at 16, detach,
 *                                close, PR_DeleteSharedMemory, print "deleted"
 *   nspr_peer attach NAME SIZE   open, print the text at 0, write
 *                                "from nspr" at 16, detach, close
 *   nspr_peer delete NAME        PR_DeleteSharedMemory, print "deleted"
 *
 * A failure prints NSPR's error name and the OS error, and exits 1.
 */
#include <prerror.h>
#include <prinit.h>
#include <prshm.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

static int fail(const char* what) {
  printf("%s: %s (errno %d)\n", what, PR_ErrorToName(PR_GetError()), (int)PR_GetOSError());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* command = argv[1];
  const char* name = argv[2];
  PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
  if (strcmp(command, "delete") == 0) {
    if (PR_DeleteSharedMemory(name) != PR_SUCCESS) return fail("PR_DeleteSharedMemory");
    printf("deleted\n");
    return 0;
  }
  if (argc < 4) return 2;
  PRSize size = (PRSize)strtoul(argv[3], NULL, 10);
  int create = strcmp(command, "create") == 0;
  PRSharedMemory* shm = PR_OpenSharedMemory(name, size, create ? PR_SHM_CREATE : 0, 0600);
  if (shm == NULL) return fail("PR_OpenSharedMemory");
  char* memory = (char*)PR_AttachSharedMemory(shm, 0);
  if (memory == NULL) return fail("PR_AttachSharedMemory");
  if (create) {
    strcpy(memory, "from nspr");
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (fgets(line, sizeof line, stdin) == NULL) return 1;
    printf("%s\n", memory + 16);
  } else {
    printf("%s\n", memory);
    strcpy(memory + 16, "from nspr");
  }
  if (PR_DetachSharedMemory(shm, memory) != PR_SUCCESS) return fail("PR_DetachSharedMemory");
  if (PR_CloseSharedMemory(shm) != PR_SUCCESS) return fail("PR_CloseSharedMemory");
  if (create) {
    if (PR_DeleteSharedMemory(name) != PR_SUCCESS) return fail("PR_DeleteSharedMemory");
    printf("deleted\n");
  }
  return 0;
}
