#include "DatabaseAudit.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate {

namespace {

void checkDetail(const std::string& detailJson)
{
    if (detailJson.empty())
        return;
    try {
        const Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(detailJson);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            return;
    } catch (const Poco::Exception&) {
    }
    throw std::invalid_argument("audit detail must be a JSON object");
}

} // namespace

DatabaseAudit::DatabaseAudit(Database& database) :
    _database(database),
    _logger(Poco::Logger::get("comfygate.audit"))
{
}

void DatabaseAudit::record(const AuditRecord& record)
{
    if (record.actor.empty() || record.action.empty())
        throw std::invalid_argument("an audit record needs an actor and an action");
    checkDetail(record.detailJson);

    AuditRecord row = record;
    Poco::Int64 at = static_cast<Poco::Int64>(std::time(nullptr));
    try {
        Poco::Data::Session session = _database.session();
        session << _database.translate("INSERT INTO audit_log (at, actor, action, target, client,"
                                       " detail) VALUES (?, ?, ?, ?, ?, ?)"),
            use(at), use(row.actor), use(row.action), use(row.target), use(row.client),
            use(row.detailJson), now;
    } catch (const std::exception& error) {
        const auto* poco = dynamic_cast<const Poco::Exception*>(&error);
        _logger.error("cannot record audit %s by %s on '%s': %s", record.action, record.actor,
                      record.target, poco ? poco->displayText() : std::string(error.what()));
        throw;
    }
}

std::vector<AuditEntry> DatabaseAudit::recent(std::size_t limit) const
{
    return query({}, limit);
}

std::vector<AuditEntry> DatabaseAudit::byActor(const std::string& actor, std::size_t limit) const
{
    if (actor.empty())
        return {};
    return query(actor, limit);
}

std::vector<AuditEntry> DatabaseAudit::query(const std::string& actor, std::size_t limit) const
{
    std::vector<Poco::Int64> ids;
    std::vector<Poco::Int64> ats;
    std::vector<std::string> actors, actions, targets, clients, details;
    Poco::Int64 rows = static_cast<Poco::Int64>(
        std::min<std::size_t>(limit, std::numeric_limits<Poco::Int32>::max()));
    std::string actorValue = actor;

    const std::string columns =
        "SELECT id, at, actor, action, target, client, detail FROM audit_log ";
    Poco::Data::Session session = _database.session();
    if (actor.empty()) {
        session << _database.translate(columns + "ORDER BY id DESC LIMIT ?"), into(ids),
            into(ats), into(actors), into(actions), into(targets), into(clients),
            into(details), use(rows), now;
    } else {
        session << _database.translate(columns + "WHERE actor = ? ORDER BY id DESC LIMIT ?"),
            into(ids), into(ats), into(actors), into(actions), into(targets), into(clients),
            into(details), use(actorValue), use(rows), now;
    }

    std::vector<AuditEntry> entries(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        entries[i].id = ids[i];
        entries[i].at = ats[i];
        entries[i].record = {actors[i], actions[i], targets[i], clients[i], details[i]};
    }
    return entries;
}

} // namespace comfygate
