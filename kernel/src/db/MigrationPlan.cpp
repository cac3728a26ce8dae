#include "MigrationPlan.h"

#include <Poco/NumberFormatter.h>

namespace comfygate {

std::string migrationLabel(const std::string& owner, int number, const std::string& name)
{
    return owner + "/" + Poco::NumberFormatter::format0(number, 3) + "_" + name;
}

std::vector<int> pendingMigrations(const std::string& owner, const std::map<int, std::string>& known,
                                   const std::map<int, std::string>& recorded)
{
    for (const auto& [number, name] : recorded) {
        const auto it = known.find(number);
        if (it == known.end())
            throw MigrationRefused("the database has migration " + migrationLabel(owner, number, name) +
                                   " which this build does not know (was the database migrated by a newer comfygate?)");
        if (it->second != name)
            throw MigrationRefused("migration " + owner + "/" + Poco::NumberFormatter::format0(number, 3) +
                                   " was applied as '" + name + "' but is now called '" + it->second +
                                   "': released migrations must never be renamed or edited");
    }

    const int highest = recorded.empty() ? 0 : recorded.rbegin()->first;
    std::vector<int> pending;
    for (const auto& [number, name] : known) {
        if (recorded.count(number))
            continue;
        if (number < highest)
            throw MigrationRefused("migration " + migrationLabel(owner, number, name) + " is pending but the later " +
                                   migrationLabel(owner, highest, recorded.at(highest)) +
                                   " is already applied: add new migrations with higher numbers");
        pending.push_back(number);
    }
    return pending;
}

} // namespace comfygate
