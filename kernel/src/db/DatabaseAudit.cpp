#include "DatabaseAudit.h"

#include <Poco/Data/Statement.h>
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

/// A LIKE pattern matching values that start with `prefix` literally ('!' is the escape).
std::string likePrefix(const std::string& prefix)
{
    std::string pattern;
    for (const char c : prefix) {
        if (c == '!' || c == '%' || c == '_')
            pattern += '!';
        pattern += c;
    }
    return pattern + '%';
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
    AuditFilter filter;
    filter.limit = limit;
    return search(filter);
}

std::vector<AuditEntry> DatabaseAudit::byActor(const std::string& actor, std::size_t limit) const
{
    if (actor.empty())
        return {};
    AuditFilter filter;
    filter.actor = actor;
    filter.limit = limit;
    return search(filter);
}

std::vector<AuditEntry> DatabaseAudit::search(const AuditFilter& filter) const
{
    std::vector<Poco::Int64> ids;
    std::vector<Poco::Int64> ats;
    std::vector<std::string> actors, actions, targets, clients, details;

    Poco::Data::Session session = _database.session();
    Poco::Data::Statement select(session);
    std::string where;
    const auto condition = [&where](const char* sql) {
        where += (where.empty() ? " WHERE " : " AND ") + std::string(sql);
    };
    // bind() copies the value, so the statement does not depend on the filter's lifetime.
    if (!filter.actor.empty()) {
        condition("actor = ?");
        select, bind(filter.actor);
    }
    if (!filter.actionPrefix.empty()) {
        condition("action LIKE ? ESCAPE '!'");
        select, bind(likePrefix(filter.actionPrefix));
    }
    if (!filter.target.empty()) {
        condition("target = ?");
        select, bind(filter.target);
    }
    if (filter.since != 0) {
        condition("at >= ?");
        select, bind(filter.since);
    }
    if (filter.until != 0) {
        condition("at <= ?");
        select, bind(filter.until);
    }
    if (filter.before != 0) {
        condition("id < ?");
        select, bind(filter.before);
    }
    const Poco::Int64 rows =
        static_cast<Poco::Int64>(std::min<std::size_t>(filter.limit, std::numeric_limits<Poco::Int32>::max()));
    select, bind(rows);
    select << _database.translate("SELECT id, at, actor, action, target, client, detail FROM audit_log" + where +
                                  " ORDER BY id DESC LIMIT ?"),
        into(ids), into(ats), into(actors), into(actions), into(targets), into(clients), into(details);
    select.execute();

    std::vector<AuditEntry> entries(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        entries[i].id = ids[i];
        entries[i].at = ats[i];
        entries[i].record = {actors[i], actions[i], targets[i], clients[i], details[i]};
    }
    return entries;
}

} // namespace comfygate
