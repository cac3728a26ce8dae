#include "DatabaseBusy.h"

#include <Poco/Data/SQLite/SQLiteException.h>

namespace comfygate {

bool DatabaseBusy::is(const std::exception& error)
{
    // Poco's SQLite connector maps SQLITE_BUSY and SQLITE_LOCKED to these; SqlitePreparedReads
    // throws the first one for the same codes.
    return dynamic_cast<const Poco::Data::SQLite::DBLockedException*>(&error) != nullptr ||
           dynamic_cast<const Poco::Data::SQLite::TableLockedException*>(&error) != nullptr;
}

std::string DatabaseBusy::message()
{
    return "the database is busy (another writer held it longer than db.sqlite.busy_timeout_ms); try again in a "
           "moment";
}

} // namespace comfygate
