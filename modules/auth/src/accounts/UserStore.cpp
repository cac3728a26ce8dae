#include "UserStore.h"


#include "comfygate/Principal.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/RegularExpression.h>
#include <Poco/String.h>

#include <openssl/rand.h>

#include <algorithm>
#include <sstream>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

const std::string selectUsers =
    "SELECT id, username, role, groups_json, sfw_check, password_hash, mfa_enabled, created_at,"
    " last_login_at, tokens_valid_after, builtin, disabled FROM users ";

// Tables whose rows belong to a user; remove() deletes them even where foreign keys are off.
const char* const ownedTables[] = {"swarm_sessions", "session_tokens",   "api_tokens",
                                   "mfa_temp_tokens", "mfa_backup_codes", "mfa_totp",
                                   "user_secrets"};

// What disabling an account ends: every credential and a sign-in half-way through its second
// factor. Its MFA enrolment and secrets stay for when it is enabled again.
const char* const disabledEnds[] = {"swarm_sessions", "session_tokens", "api_tokens", "mfa_temp_tokens"};

const std::string guestName = "guest";

std::string usernameKey(const std::string& username)
{
    return Poco::toLower(username);
}

bool isReserved(const std::string& key)
{
    static const char* const reserved[] = {"guest", "system",    "cli",     "local",
                                           "root",  "anonymous", "default", "everyone"};
    if (key.rfind("__", 0) == 0)
        return true;
    return std::any_of(std::begin(reserved), std::end(reserved),
                       [&](const char* name) { return key == name; });
}

void validateRole(const std::string& role)
{
    const auto& roles = knownRoles();
    if (std::find(roles.begin(), roles.end(), role) == roles.end())
        throw UserError("invalid_role", "unknown role '" + role + "'");
}

void validateGroups(const std::vector<std::string>& groups)
{
    static const Poco::RegularExpression pattern("^[A-Za-z0-9_.-]{1,64}$");
    for (const std::string& group : groups) {
        if (!pattern.match(group))
            throw UserError("invalid_group", "invalid group name '" + group + "'");
    }
}

std::string encodeGroups(const std::vector<std::string>& groups)
{
    Poco::JSON::Array array;
    for (const std::string& group : groups)
        array.add(group);
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

std::vector<std::string> decodeGroups(const std::string& json)
{
    std::vector<std::string> groups;
    const auto array = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i)
        groups.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    return groups;
}

std::string randomId()
{
    std::vector<unsigned char> bytes(8);
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the random generator failed");
    return Poco::DigestEngine::digestToHex(bytes);
}

} // namespace

UserStore::UserStore(Database& database) : _database(database)
{
}

void UserStore::validateUsername(const std::string& username)
{
    static const Poco::RegularExpression pattern("^[A-Za-z0-9_]{3,64}$");
    if (!pattern.match(username))
        throw UserError("invalid_username",
                        "a username has 3 to 64 letters, digits or underscores");
    if (isReserved(usernameKey(username)))
        throw UserError("reserved_username", "the username '" + username + "' is reserved");
}

std::optional<User> UserStore::findWhere(Poco::Data::Session& session, const std::string& column,
                                         const std::string& value)
{
    std::vector<std::string> ids, names, roles, groups, hashes;
    std::vector<int> sfw, mfa, builtin, disabled;
    std::vector<Poco::Int64> created, lastLogin, validAfter;
    session << _database.translate(selectUsers + "WHERE " + column + " = ?"), into(ids), into(names), into(roles),
        into(groups), into(sfw), into(hashes), into(mfa), into(created), into(lastLogin), into(validAfter),
        into(builtin), into(disabled), bind(value), now;
    if (ids.empty())
        return std::nullopt;
    return User{ids[0],      names[0],   roles[0],     decodeGroups(groups[0]), sfw[0] != 0,     hashes[0],
                mfa[0] != 0, created[0], lastLogin[0], validAfter[0],           builtin[0] != 0, disabled[0] != 0};
}

std::optional<UserStore::CredentialRow> UserStore::findWithCredential(const std::string& table, const std::string& keyColumn, const std::string& key,
                              const std::vector<std::string>& columns)
{
    std::string sql = "SELECT u.id, u.username, u.role, u.groups_json, u.sfw_check, u.password_hash, u.mfa_enabled,"
                      " u.created_at, u.last_login_at, u.tokens_valid_after, u.builtin";
    for (const auto& column : columns)
        sql += ", c." + column;
    sql += " FROM " + table + " c JOIN users u ON u.id = c.user_id WHERE c." + keyColumn + " = ?";
    const auto rows = _database.select(sql, {key});
    if (rows.empty())
        return std::nullopt;
    const auto& row = rows.front();
    const auto text = [&](std::size_t column) { return row[column].convert<std::string>(); };
    const auto number = [&](std::size_t column) { return row[column].convert<Poco::Int64>(); };
    User user{text(0),        text(1),   text(2),   decodeGroups(text(3)), number(4) != 0, text(5),
              number(6) != 0, number(7), number(8), number(9),             number(10) != 0};
    std::vector<Poco::Dynamic::Var> values(row.begin() + 11, row.end());
    return std::make_pair(std::move(user), std::move(values));
}

User UserStore::requireUser(Poco::Data::Session& session, const std::string& id)
{
    std::optional<User> user = findWhere(session, "id", id);
    if (!user)
        throw UserError("not_found", "no such user");
    return *user;
}

std::int64_t UserStore::countOwners(Poco::Data::Session& session)
{
    Poco::Int64 owners = 0;
    session << "SELECT COUNT(*) FROM users WHERE role = 'owner'", into(owners), now;
    return owners;
}

std::optional<User> UserStore::findByName(const std::string& username)
{
    Poco::Data::Session session = _database.session();
    return findWhere(session, "username_key", usernameKey(username));
}

void UserStore::requireExists(Database& database, Poco::Data::Session& session, const std::string& userId)
{
    Poco::Int64 users = 0;
    session << database.translate("SELECT COUNT(*) FROM users WHERE id = ?"), into(users), bind(userId), now;
    if (users == 0)
        throw std::invalid_argument("unknown user");
}

std::optional<User> UserStore::findById(const std::string& id)
{
    Poco::Data::Session session = _database.session();
    return findWhere(session, "id", id);
}

std::vector<User> UserStore::list()
{
    std::vector<std::string> ids, names, roles, groups, hashes;
    std::vector<int> sfw, mfa, builtin, disabled;
    std::vector<Poco::Int64> created, lastLogin, validAfter;
    Poco::Data::Session session = _database.session();
    session << _database.translate(selectUsers + "ORDER BY username_key"), into(ids), into(names), into(roles),
        into(groups), into(sfw), into(hashes), into(mfa), into(created), into(lastLogin), into(validAfter),
        into(builtin), into(disabled), now;
    std::vector<User> users;
    users.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
        users.push_back({ids[i], names[i], roles[i], decodeGroups(groups[i]), sfw[i] != 0, hashes[i], mfa[i] != 0,
                         created[i], lastLogin[i], validAfter[i], builtin[i] != 0, disabled[i] != 0});
    return users;
}

std::int64_t UserStore::countAccounts()
{
    Poco::Int64 count = 0;
    Poco::Data::Session session = _database.session();
    session << "SELECT COUNT(*) FROM users WHERE builtin = 0", into(count), now;
    return count;
}

User UserStore::create(const std::string& username, const std::string& role,
                       const std::vector<std::string>& groups, const std::string& passwordHash,
                       std::int64_t now)
{
    validateUsername(username);
    validateRole(role);
    validateGroups(groups);

    User user{randomId(), username, role, groups, true, passwordHash, false, now, 0, 0, false};
    const std::string key = usernameKey(username);
    const std::string groupsJson = encodeGroups(groups);
    _database.write([&](Poco::Data::Session& session) {
        // ON CONFLICT DO NOTHING covers every unique index (name, single owner, id), also a
        // concurrent insert on PostgreSQL; the reason is looked up afterwards.
        for (int attempt = 0; attempt < 3; ++attempt) {
            Poco::Data::Statement insert(session);
            insert << _database.translate(
                "INSERT INTO users (id, username, username_key, role, groups_json, sfw_check,"
                " password_hash, mfa_enabled, created_at, last_login_at, tokens_valid_after,"
                " builtin) VALUES (?, ?, ?, ?, ?, 1, ?, 0, ?, 0, 0, 0) ON CONFLICT DO NOTHING"),
                bind(user.id), bind(username), bind(key), bind(role), bind(groupsJson),
                bind(passwordHash), bind(static_cast<Poco::Int64>(now));
            if (insert.execute() == 1)
                return;
            if (findWhere(session, "username_key", key))
                throw UserError("username_exists", "the username '" + username + "' is taken");
            if (role == "owner" && countOwners(session) > 0)
                throw UserError("owner_exists", "there is already an owner");
            user.id = randomId();
        }
        throw std::runtime_error("could not insert user '" + username + "'");
    });
    return user;
}

User UserStore::ensureGuest(std::int64_t now)
{
    User guest;
    _database.write([&](Poco::Data::Session& session) {
        // Instances on one PostgreSQL database start together: one of them adds the guest.
        int locked = 0;
        session << _database.translate("{{xact_lock:users.guest}}"), into(locked), Poco::Data::Keywords::now;
        if (std::optional<User> existing = findWhere(session, "username_key", guestName)) {
            guest = *existing;
            return;
        }
        const std::string id = randomId();
        session << _database.translate(
            "INSERT INTO users (id, username, username_key, role, groups_json, sfw_check,"
            " password_hash, mfa_enabled, created_at, last_login_at, tokens_valid_after, builtin)"
            " VALUES (?, ?, ?, 'guest', '[]', 1, '', 0, ?, 0, 0, 1)"),
            bind(id), bind(guestName), bind(guestName), bind(static_cast<Poco::Int64>(now)),
            Poco::Data::Keywords::now;
        guest = requireUser(session, id);
    });
    return guest;
}

void UserStore::update(const std::string& id, const std::string& role,
                       const std::vector<std::string>& groups, std::optional<bool> sfwCheck)
{
    validateRole(role);
    validateGroups(groups);
    const std::string groupsJson = encodeGroups(groups);
    _database.write([&](Poco::Data::Session& session) {
        const User user = requireUser(session, id);
        if (user.builtin && (role != user.role || (sfwCheck && !*sfwCheck)))
            throw UserError("guest_protected",
                            "the built-in guest keeps its role and its SFW check");
        if (user.role == "owner" && role != "owner")
            throw UserError("owner_protected",
                            "the owner cannot be demoted; transfer ownership instead");
        if (role == "owner" && user.role != "owner" && countOwners(session) > 0)
            throw UserError("owner_exists", "there is already an owner");

        const int sfw = sfwCheck.value_or(user.sfwCheck) ? 1 : 0;
        Poco::Data::Statement statement(session);
        statement << _database.translate(
            "UPDATE users SET role = ?, groups_json = ?, sfw_check = ? WHERE id = ?"),
            bind(role), bind(groupsJson), bind(sfw), bind(id);
        if (statement.execute() != 1)
            throw UserError("not_found", "no such user");
    });
}

bool UserStore::setPassword(const std::string& id, const std::string& passwordHash)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        const std::optional<User> user = findWhere(session, "id", id);
        if (!user)
            return;
        if (user->builtin)
            throw UserError("guest_protected", "the built-in guest has no password");
        Poco::Data::Statement statement(session);
        statement << _database.translate("UPDATE users SET password_hash = ? WHERE id = ?"),
            bind(passwordHash), bind(id);
        changed = statement.execute();
    });
    return changed == 1;
}

bool UserStore::touchLogin(const std::string& id, std::int64_t now)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement statement(session);
        statement << _database.translate("UPDATE users SET last_login_at = ? WHERE id = ?"),
            bind(static_cast<Poco::Int64>(now)), bind(id);
        changed = statement.execute();
    });
    return changed == 1;
}

bool UserStore::setTokensValidAfter(const std::string& id, std::int64_t t)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement statement(session);
        statement << _database.translate("UPDATE users SET tokens_valid_after = ? WHERE id = ?"),
            bind(static_cast<Poco::Int64>(t)), bind(id);
        changed = statement.execute();
    });
    return changed == 1;
}

void UserStore::setDisabled(const std::string& id, bool disabled)
{
    _database.write([&](Poco::Data::Session& session) {
        const User user = requireUser(session, id);
        if (user.builtin)
            throw UserError("guest_protected", "the built-in guest cannot be disabled");
        if (user.role == "owner")
            throw UserError("owner_protected", "the owner cannot be disabled");
        const int flag = disabled ? 1 : 0;
        session << _database.translate("UPDATE users SET disabled = ? WHERE id = ?"), bind(flag), bind(id),
            Poco::Data::Keywords::now;
        if (!disabled)
            return;
        // Deleted, not outdated by tokens_valid_after: that compares whole seconds, and a
        // credential issued in the second of the disabling must end as surely as older ones.
        for (const char* table : disabledEnds)
            session << _database.translate(std::string("DELETE FROM ") + table + " WHERE user_id = ?"), bind(id),
                Poco::Data::Keywords::now;
    });
}

bool UserStore::setMfaEnabled(const std::string& id, bool enabled)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement statement(session);
        statement << _database.translate("UPDATE users SET mfa_enabled = ? WHERE id = ?"),
            bind(enabled ? 1 : 0), bind(id);
        changed = statement.execute();
    });
    return changed == 1;
}

void UserStore::remove(const std::string& id)
{
    _database.write([&](Poco::Data::Session& session) {
        const User user = requireUser(session, id);
        if (user.builtin)
            throw UserError("guest_protected", "the built-in guest cannot be deleted");
        if (user.role == "owner")
            throw UserError("owner_protected", "the owner cannot be deleted");
        if (user.role == "admin") {
            Poco::Int64 admins = 0;
            session << "SELECT COUNT(*) FROM users WHERE role IN ('owner', 'admin')",
                into(admins), now;
            if (admins <= 1)
                throw UserError("last_admin", "the last administrator cannot be deleted");
        }
        for (const char* table : ownedTables)
            session << _database.translate(std::string("DELETE FROM ") + table
                                           + " WHERE user_id = ?"),
                bind(id), now;
        session << _database.translate("DELETE FROM users WHERE id = ?"), bind(id), now;
    });
}

void UserStore::transferOwnership(const std::string& fromId, const std::string& toId)
{
    _database.write([&](Poco::Data::Session& session) {
        const User from = requireUser(session, fromId);
        const User to = requireUser(session, toId);
        if (from.role != "owner")
            throw UserError("not_owner", "only the owner transfers ownership");
        if (from.id == to.id)
            throw UserError("same_user", "the user is already the owner");
        if (to.builtin)
            throw UserError("guest_protected", "the built-in guest cannot become owner");
        // Demote first: the single-owner index is checked statement by statement.
        session << _database.translate("UPDATE users SET role = 'admin' WHERE id = ?"),
            bind(fromId), now;
        session << _database.translate("UPDATE users SET role = 'owner' WHERE id = ?"),
            bind(toId), now;
    });
}

} // namespace comfygate::auth
