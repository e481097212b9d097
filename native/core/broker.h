// Handing shared memory to a process that inherited nothing: the exporting
// process runs a broker thread on a Unix socket in Linux's abstract
// namespace; an importer connects, presents the export's id and 128-bit
// secret, and receives the descriptor with SCM_RIGHTS (docs/handle-format.md).
// Linux implementation: broker_server_linux.cc (the broker),
// broker_client_linux.cc (Fetch); the wire format is broker_wire.h.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

using Secret = std::array<uint8_t, 16>;

struct ExportPolicy {
  bool once = false;  // the first import whose descriptors arrived ends the export
  pid_t pid = 0;      // only this process may import; 0 for any of our uid
};

// What an importer needs to reach one export.
struct ExportTicket {
  pid_t broker_pid = 0;  // the exporting process
  std::string nonce;     // 16 hex digits naming its broker's socket
  uint64_t id = 0;
  Secret secret{};
};

// Most descriptors one export can carry: the memory and up to 128
// companions (a frame channel's wake socket pairs, two for each of up to 64
// endpoints). SCM_RIGHTS takes up to 253.
constexpr size_t kMaxExportFds = 129;

// Offers the memory behind `fds[0]`, with the descriptors that go with it,
// for import; the broker keeps duplicates of them until the export is
// revoked or used up. Starts the broker thread when it is not running.
Status Export(const std::vector<int>& fds, const ExportPolicy& policy, ExportTicket* out);

// Ends an export: later imports of it fail with ERR_HANDLE_REVOKED. Returns
// false if it had already ended. Stops the broker thread, and waits for it,
// when no export is left.
bool Revoke(uint64_t id);

// How many exports are live, whether the broker thread runs, and how many
// connections it holds (for tests and diagnostics).
size_t LiveExports();
bool BrokerRunning();
size_t BrokerConnections();

struct Received {
  UniqueFd fd;                       // the memory
  std::vector<UniqueFd> companions;  // what was exported with it, in order
};

// Asks the broker named by `ticket` for its memory. `timeout_ms` bounds the
// whole exchange, connecting included; a live broker answers at once,
// whatever other peers do to it. Errors: ERR_HANDLE_REVOKED (ended, used up, being imported by
// another process as `once`, or the exporter is gone), ERR_HANDLE_INVALID
// (no such export, a wrong secret, or an answer not of this protocol),
// EACCES (a process of another uid, or not the pid the export is bound to),
// ETIMEDOUT (no answer in time), EMFILE / ENFILE (no descriptor free, here
// or in the exporter: the export is not used up).
Status Fetch(const ExportTicket& ticket, int timeout_ms, Received* out);

}  // namespace eshm
