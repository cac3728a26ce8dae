#include "RevocationTrackingDatabase.h"

namespace comfygate::auth {

void RevocationTrackingDatabase::write(const std::function<void(Poco::Data::Session&)>& work)
{
    _database.write(work);
    // After the commit: a reader that still sees the old epoch read the old rows, and so
    // remembers them under an epoch that is stale from now on. A write nested in another
    // write() (the same transaction) advances too early, but its outer write advances again.
    _epoch.advance();
}

std::int64_t RevocationTrackingDatabase::execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params)
{
    const std::int64_t changed = _database.execute(sql, params);
    _epoch.advance(); // after the commit, as in write()
    return changed;
}

} // namespace comfygate::auth
