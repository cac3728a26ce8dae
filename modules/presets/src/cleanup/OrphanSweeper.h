#pragma once

#include "PresetStore.h"
#include "UserDocumentStore.h"
#include "comfygate/Scheduler.h"

#include <Poco/Logger.h>

#include <chrono>

#include <functional>
#include <optional>
#include <string>

namespace comfygate::presets {

/// Deletes the presets and documents of users that no longer exist. Neither the kernel nor the
/// auth module announces a deleted user (no event on the EventBus), so the module asks the
/// user directory ("auth.users") on a timer instead; without a directory it does nothing,
/// since then it cannot tell a deleted user from one it never heard of.
class OrphanSweeper
{
public:
    /// True when the user exists; nullopt when no directory can tell.
    using UserExists = std::function<std::optional<bool>(const std::string& userId)>;

    OrphanSweeper(PresetStore& presets, UserDocumentStore& documents, UserExists userExists);
    /// Cancels the scheduled sweeps (waiting for one that is running).
    ~OrphanSweeper();

    /// One pass; returns how many users' data went.
    std::size_t sweep();

    /// Sweeps once soon (users deleted while the module was not loaded), then every
    /// `interval`, logging what went.
    void schedule(Scheduler& scheduler, Poco::Logger& logger, std::chrono::minutes interval);

private:
    PresetStore& _presets;
    UserDocumentStore& _documents;
    UserExists _userExists;
    Scheduler* _scheduler = nullptr;
    Scheduler::TimerId _firstSweep = 0;
    Scheduler::TimerId _sweepTimer = 0;
};

} // namespace comfygate::presets
