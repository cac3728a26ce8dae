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

} // namespace comfygate::auth
