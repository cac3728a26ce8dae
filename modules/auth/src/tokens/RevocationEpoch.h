#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace comfygate::auth {

/// A counter that every change able to revoke a credential advances after it commits, so
/// caches of verified credentials know when they may be stale. With a file it is shared by
/// every process that opens the same file (the server and the `comfygate user ...` CLI on one
/// SQLite data directory): the counter lives in a MAP_SHARED mapping of it, so reading it on
/// every request is a load from memory, not a system call (a stat() of an epoch file costs
/// a syscall per request and could miss a rewrite that reused an inode within one mtime
/// tick). Without a file it counts in this process only.
class RevocationEpoch
{
public:
    /// In-process only.
    RevocationEpoch();
    /// Shared through `path` (created 0600 if missing; never truncated, so a process that has
    /// it mapped keeps seeing the others' advances). Throws std::runtime_error naming the path.
    explicit RevocationEpoch(const std::string& path);
    ~RevocationEpoch();

    RevocationEpoch(const RevocationEpoch&) = delete;
    RevocationEpoch& operator=(const RevocationEpoch&) = delete;

    std::uint64_t current() const { return _counter->load(std::memory_order_acquire); }
    /// Call after the change is committed: a reader that sees the old value read the old data.
    void advance() { _counter->fetch_add(1, std::memory_order_acq_rel); }

    bool shared() const { return _mapping != nullptr; }

private:
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
                  "a counter shared between processes must be lock-free");
    std::atomic<std::uint64_t> _local{0};
    std::atomic<std::uint64_t>* _counter = &_local;
    void* _mapping = nullptr;
};

} // namespace comfygate::auth
