// Cross-process wakes for frame channels: one Unix datagram socket pair per
// endpoint. Every process that has the channel holds both ends; a waker
// sends a byte on the send end, the endpoint's owner watches the receive
// end. Sockets rather than eventfds because every call here takes
// MSG_DONTWAIT: the open file description is shared with every peer, and a
// peer can clear O_NONBLOCK on it (F_SETFL), which would make an eventfd's
// write or read block this process for good. No peer can make a send or
// receive here wait. Linux implementation in wake_socket_linux.cc.
#pragma once

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

// A new pair: *receive is watched by the endpoint's owner, *send written by
// wakers. Both close-on-exec.
Status CreateWakePair(UniqueFd* receive, UniqueFd* send);

// OK if `fd` is a Unix datagram socket, as both ends of a wake pair are;
// ERR_HANDLE_INVALID otherwise (a peer that exported the channel may have
// sent anything: a FIFO that blocks, a regular file).
Status CheckWakeSocket(int fd);

// One wake: a byte sent without waiting. A full queue (a burst, or a peer
// that fills it) already means "readable", so its refusal is ignored, as is
// every other: a lost wake costs the waiter at most its periodic look.
void SendWake(int fd);

// Empties the receive end, without waiting, up to a bound: a peer that
// sends without end costs a few reads per wake, never a loop without end.
void DrainWakes(int fd);

}  // namespace eshm
