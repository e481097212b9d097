#include "core/open_channel.h"

#include <sys/mman.h>

#include <utility>

#include "core/wake_socket.h"

namespace eshm {
namespace frames {
namespace {

Status MapHeader(int fd, void** out) {
  void* header = mmap(nullptr, HeaderBytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (header == MAP_FAILED) return Status::Sys("mmap");
  *out = header;
  return Status::Ok();
}

}  // namespace

OpenChannel::OpenChannel(void* header, std::vector<UniqueFd> wake) : header_(header), wake_(std::move(wake)) {}

OpenChannel::~OpenChannel() {
  if (channel_ != nullptr) {
    channel_->ReleasePublisher();
    // Subscribers exist only with an endpoint, whose release frees them too.
    Leave();
  }
  channel_.reset();
  munmap(header_, HeaderBytes());
  wake_.clear();
  publisher_pidfd_.reset();
}

Status OpenChannel::Create(int fd, const Geometry& geometry, uint64_t map_size, std::unique_ptr<OpenChannel>* out) {
  std::vector<UniqueFd> wake(2 * static_cast<size_t>(geometry.endpoints));
  for (size_t e = 0; e < geometry.endpoints; ++e) {
    Status s = CreateWakePair(&wake[2 * e], &wake[2 * e + 1]);
    if (!s.ok()) return s;
  }
  void* header = nullptr;
  Status s = MapHeader(fd, &header);
  if (!s.ok()) return s;
  Channel::Init(static_cast<Header*>(header), geometry);
  // The creator's geometry passes the check every importer makes.
  return Attach(header, std::move(wake), map_size, out);
}

Status OpenChannel::Import(int fd, std::vector<UniqueFd> wake, uint64_t map_size, std::unique_ptr<OpenChannel>* out) {
  Status s = CheckHeaderFits(map_size);
  if (!s.ok()) return s;
  void* header = nullptr;
  s = MapHeader(fd, &header);
  if (!s.ok()) return s;
  return Attach(header, std::move(wake), map_size, out);
}

// The geometry is read from the shared header once: the channel keeps that
// copy and never trusts the shared one again.
Status OpenChannel::Attach(void* header, std::vector<UniqueFd> wake, uint64_t map_size,
                           std::unique_ptr<OpenChannel>* out) {
  std::unique_ptr<OpenChannel> open(new OpenChannel(header, std::move(wake)));
  const std::vector<UniqueFd>& fds = open->wake_;
  Geometry geometry;
  Status s = fds.size() % 2 == 0
                 ? ReadGeometry(static_cast<Header*>(header), map_size, fds.size() / 2, &geometry)
                 : Status::Own("ERR_HANDLE_INVALID", "The frame channel came without its wake descriptors");
  for (size_t i = 0; s.ok() && i < fds.size(); ++i) s = CheckWakeSocket(fds[i].get());
  if (!s.ok()) return s;
  // Wakers send on the second end of each pair.
  std::vector<int> send_fds;
  for (size_t e = 0; e < geometry.endpoints; ++e) send_fds.push_back(fds[2 * e + 1].get());
  open->channel_ = std::make_unique<Channel>(static_cast<Header*>(header), geometry, std::move(send_fds));
  *out = std::move(open);
  return Status::Ok();
}

std::vector<int> OpenChannel::WakeFds() const {
  std::vector<int> fds;
  for (const UniqueFd& w : wake_) fds.push_back(w.get());
  return fds;
}

Status OpenChannel::Join(int* wake_fd) {
  uint32_t endpoint = 0;
  Status s = channel_->ClaimEndpoint(&endpoint);
  if (!s.ok()) return s;
  endpoint_ = static_cast<int>(endpoint);
  *wake_fd = wake_[2 * endpoint].get();
  return Status::Ok();
}

void OpenChannel::Leave() {
  if (endpoint_ < 0) return;
  channel_->ReleaseEndpoint();
  endpoint_ = -1;
}

Status OpenChannel::Publisher(bool watch, PublisherState* out, PublisherWatch* change) {
  PublisherInfo p;
  Status s = channel_->Publisher(&p);
  if (!s.ok()) return s;
  if (p.identity == 0) {
    *out = p.epoch == 0 ? PublisherState::kNone : p.closed ? PublisherState::kClosed : PublisherState::kCrashed;
  } else if (p.identity == SelfIdentity()) {
    *out = PublisherState::kAlive;
  } else {
    *out = OtherPublisher(p.identity, watch, change);
  }
  return Status::Ok();
}

PublisherState OpenChannel::OtherPublisher(ProcessIdentity identity, bool watch, PublisherWatch* change) {
  if (watched_publisher_ == identity && publisher_pidfd_.valid()) {
    return HasExited(publisher_pidfd_.get()) ? PublisherState::kCrashed : PublisherState::kAlive;
  }
  auto looked = [identity] { return IsAlive(identity) ? PublisherState::kAlive : PublisherState::kCrashed; };
  if (!watch) return looked();
  change->retired = std::move(publisher_pidfd_);
  watched_publisher_ = 0;
  UniqueFd pidfd;
  // The identity was read from shared memory, which any peer may write: a
  // pid it cannot watch (gone, a thread's, none) is no error of this
  // process. Unwatched, a live publisher's exit is still seen by the
  // waits' periodic look (RECHECK_MS of main/lib/wake.ts).
  if (!OpenPidfd(identity, &pidfd).ok()) return looked();
  change->started = pidfd.get();
  publisher_pidfd_ = std::move(pidfd);
  watched_publisher_ = identity;
  return PublisherState::kAlive;
}

void OpenChannel::StopWatchingPublisher() {
  publisher_pidfd_.reset();
  watched_publisher_ = 0;
}

std::vector<int> OpenChannel::WatchedFds() const {
  std::vector<int> fds;
  if (endpoint_ >= 0) fds.push_back(wake_[2 * endpoint_].get());
  if (publisher_pidfd_.valid()) fds.push_back(publisher_pidfd_.get());
  return fds;
}

}  // namespace frames
}  // namespace eshm
