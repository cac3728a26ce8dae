#include "ModelGrantStore.h"

#include "ModelItemName.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <chrono>
#include <set>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {
namespace {

const char* columns = "subject_kind, subject, folder, item_name, source_backend, granted_by_user_id, "
                      "granted_by_role, created_at, expires_at";

} // namespace

ModelGrantStore::ModelGrantStore(Database& database, Clock clock) : _database(database), _clock(std::move(clock))
{
    if (!_clock) {
        _clock = [] {
            return static_cast<std::int64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count());
        };
    }
}

const char* ModelGrantStore::kindName(services::GrantSubject kind)
{
    return kind == services::GrantSubject::User ? "user" : "group";
}

std::vector<services::ModelGrant> ModelGrantStore::select(const std::string& where,
                                                          const std::vector<std::string>& values)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement statement(session);
    statement << _database.translate(std::string("SELECT ") + columns + " FROM comfy_model_grants WHERE " + where +
                                     " ORDER BY created_at, folder, item_name");
    for (const auto& value : values)
        statement, bind(value);
    statement.execute();
    Poco::Data::RecordSet rows(statement);
    std::vector<services::ModelGrant> grants;
    for (std::size_t row = 0; row < rows.rowCount(); ++row) {
        services::ModelGrant grant;
        grant.kind = rows.value(0, row).convert<std::string>() == "user" ? services::GrantSubject::User
                                                                         : services::GrantSubject::Group;
        grant.subject = rows.value(1, row).convert<std::string>();
        grant.folder = rows.value(2, row).convert<std::string>();
        grant.itemName = rows.value(3, row).convert<std::string>();
        grant.sourceBackend = rows.value(4, row).convert<std::string>();
        grant.grantedByUserId = rows.value(5, row).convert<std::string>();
        grant.grantedByRole = rows.value(6, row).convert<std::string>();
        grant.createdAt = rows.value(7, row).convert<Poco::Int64>();
        grant.expiresAt = rows.value(8, row).convert<Poco::Int64>();
        grants.push_back(std::move(grant));
    }
    return grants;
}

std::vector<services::ModelGrant> ModelGrantStore::activeFor(const Principal& principal)
{
    // The role counts as a group: "power" grants reach every power user.
    std::set<std::string> groups(principal.groups.begin(), principal.groups.end());
    if (!principal.role.empty())
        groups.insert(principal.role);
    std::string where = "(subject_kind = 'user' AND subject = ?)";
    std::vector<std::string> values{principal.userId};
    if (!groups.empty()) {
        where += " OR (subject_kind = 'group' AND subject IN (";
        bool first = true;
        for (const auto& group : groups) {
            where += first ? "?" : ", ?";
            first = false;
            values.push_back(group);
        }
        where += "))";
    }
    auto grants = select("(" + where + ")", values);
    const std::int64_t now = _clock();
    std::erase_if(grants, [now](const services::ModelGrant& g) { return g.expiresAt != 0 && g.expiresAt <= now; });
    return grants;
}

bool ModelGrantStore::covers(const std::vector<services::ModelGrant>& grants, const std::string& folder,
                             const std::string& item)
{
    for (const auto& grant : grants) {
        if (grant.folder == folder && ModelItemName::matches(grant.itemName, item))
            return true;
    }
    return false;
}

bool ModelGrantStore::isAllowed(const Principal& principal, const std::string& folder, const std::string& item)
{
    if (principal.userId.empty())
        return false;
    return covers(activeFor(principal), folder, item);
}

bool ModelGrantStore::grant(const services::ModelGrant& grant)
{
    ModelItemName::validateFolder(grant.folder);
    ModelItemName::validateItem(grant.itemName);
    if (grant.subject.empty())
        throw std::invalid_argument("a grant needs a user id or a group name");
    if (grant.sourceBackend != "local" && grant.sourceBackend != "s3" && grant.sourceBackend != "unknown")
        throw std::invalid_argument("source_backend must be \"local\", \"s3\" or \"unknown\"");
    const std::string kind = kindName(grant.kind);
    const Poco::Int64 created = grant.createdAt != 0 ? grant.createdAt : _clock();
    const Poco::Int64 expires = grant.expiresAt;
    bool inserted = false;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement insert(session);
        insert << _database.translate(std::string("INSERT INTO comfy_model_grants (") + columns +
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
            bind(kind), bind(grant.subject), bind(grant.folder), bind(grant.itemName), bind(grant.sourceBackend),
            bind(grant.grantedByUserId), bind(grant.grantedByRole), bind(created), bind(expires);
        inserted = insert.execute() == 1;
    });
    return inserted;
}

bool ModelGrantStore::revoke(services::GrantSubject kind, const std::string& subject, const std::string& folder,
                             const std::string& itemName)
{
    const std::string kindText = kindName(kind);
    bool removed = false;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM comfy_model_grants WHERE subject_kind = ? AND subject = ? "
                                      "AND folder = ? AND item_name = ?"),
            bind(kindText), bind(subject), bind(folder), bind(itemName);
        removed = remove.execute() > 0;
    });
    return removed;
}

std::vector<services::ModelGrant> ModelGrantStore::list(services::GrantSubject kind, const std::string& subject)
{
    return select("subject_kind = ? AND subject = ?", {kindName(kind), subject});
}

} // namespace comfygate::comfyproxy
