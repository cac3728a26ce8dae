#include "OrphanSweeper.h"

#include <set>

namespace comfygate::presets {

OrphanSweeper::OrphanSweeper(PresetStore& presets, UserDocumentStore& documents, UserExists userExists)
    : _presets(presets), _documents(documents), _userExists(std::move(userExists))
{
}

OrphanSweeper::~OrphanSweeper()
{
    if (_scheduler) {
        _scheduler->cancel(_firstSweep);
        _scheduler->cancel(_sweepTimer);
    }
}

void OrphanSweeper::schedule(Scheduler& scheduler, Poco::Logger& logger, std::chrono::minutes interval)
{
    _scheduler = &scheduler;
    auto pass = [this, &logger] {
        try {
            if (const std::size_t removed = sweep())
                logger.information("removed the presets and user documents of %z deleted user(s)", removed);
        } catch (const std::exception& e) {
            logger.warning("orphan sweep failed: %s", std::string(e.what()));
        }
    };
    _firstSweep = scheduler.after(std::chrono::seconds(2), pass);
    _sweepTimer = scheduler.every(interval, pass);
}

std::size_t OrphanSweeper::sweep()
{
    std::set<std::string> owners = _presets.owners();
    owners.merge(_documents.owners());
    std::size_t removed = 0;
    for (const auto& owner : owners) {
        const auto exists = _userExists(owner);
        if (!exists)
            return removed; // no directory (any more): never guess
        if (*exists)
            continue;
        _presets.removeOwner(owner);
        _documents.removeOwner(owner);
        ++removed;
    }
    return removed;
}

} // namespace comfygate::presets
