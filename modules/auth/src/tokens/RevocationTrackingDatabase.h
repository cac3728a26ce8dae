#pragma once

#include "RevocationEpoch.h"
#include "comfygate/Database.h"

namespace comfygate::auth {

/// The database as the auth module's stores see it: every committed write() advances the
/// revocation epoch, so caches of verified credentials drop what they hold. Wrapping the
/// database instead of calling advance() in each store method means that no path that
/// changes accounts, sessions, tokens, MFA, IP lists or settings (HTTP routes, the CLI,
/// the sweeper) can forget it. Only the last-use touches (LastUseThrottle) write around it:
/// they revoke nothing and run once per credential per interval.
class RevocationTrackingDatabase : public Database
{
public:
    RevocationTrackingDatabase(Database& database, RevocationEpoch& epoch) : _database(database), _epoch(epoch) {}

    Backend backend() const override { return _database.backend(); }
    Poco::Data::Session session() override { return _database.session(); }
    std::vector<Row> select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) override
    {
        return _database.select(sql, params);
    }
    void write(const std::function<void(Poco::Data::Session&)>& work) override;
    std::int64_t execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) override;
    void migrate(const std::string& owner, const std::vector<Migration>& migrations) override
    {
        _database.migrate(owner, migrations);
    }
    std::string translate(const std::string& sql) const override { return _database.translate(sql); }

private:
    Database& _database;
    RevocationEpoch& _epoch;
};

} // namespace comfygate::auth
