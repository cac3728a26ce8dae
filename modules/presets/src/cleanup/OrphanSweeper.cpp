#include "OrphanSweeper.h"

#include <set>

namespace comfygate::presets {

OrphanSweeper::OrphanSweeper(PresetStore& presets, UserDocumentStore& documents, UserExists userExists)
    : _presets(presets), _documents(documents), _userExists(std::move(userExists))
{
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
