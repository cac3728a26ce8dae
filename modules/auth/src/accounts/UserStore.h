#pragma once

#include <Poco/Dynamic/Var.h>

#include "AuthRecords.h"
#include "comfygate/Database.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::auth {

/// A refused account change. code() is stable and meant for API error mapping:
///   invalid_username   not ^[A-Za-z0-9_]{3,64}$
///   reserved_username  guest, system, cli, local, root, anonymous, default, everyone, __*
///   username_exists    another account has that name (case-insensitive)
///   owner_exists       there is already an owner
///   invalid_role       not one of comfygate::knownRoles()
///   invalid_group      a group name not ^[A-Za-z0-9_.-]{1,64}$
///   not_found          no user with that id
///   owner_protected    the owner cannot be demoted or deleted (transferOwnership() moves it)
///   guest_protected    the built-in guest keeps its role, SFW check and lack of a password,
///                      and cannot be deleted or become owner
///   not_owner          transferOwnership() from a user who is not the owner
///   same_user          transferOwnership() to the owner itself
///   last_admin         deleting the last owner/admin account
class UserError : public std::runtime_error
{
public:
    UserError(std::string code, const std::string& message) :
        std::runtime_error(message), _code(std::move(code))
    {
    }

    const std::string& code() const { return _code; }

private:
    std::string _code;
};

/// The accounts (table users). Usernames are unique ignoring case; the database itself
/// refuses a second owner. Thread safe (all state is in the database).
class UserStore
{
public:
    explicit UserStore(Database& database);

    /// A credential's user and the asked-for columns of its row (findWithCredential()).
    using CredentialRow = std::pair<User, std::vector<Poco::Dynamic::Var>>;

    /// Case-insensitive.
    std::optional<User> findByName(const std::string& username);
    std::optional<User> findById(const std::string& id);
    /// A credential row and its user in ONE query, for the hot path of every authenticated
    /// request: `table` has a `user_id` column and is keyed by `keyColumn`; the values of
    /// `columns` of that row come back in order. Nothing when the row or the user is missing.
    std::optional<CredentialRow> findWithCredential(const std::string& table, const std::string& keyColumn, const std::string& key,
                       const std::vector<std::string>& columns);
    /// Every account, the built-in guest included, ordered by name.
    std::vector<User> list();
    /// Accounts other than the built-in guest.
    std::int64_t countAccounts();

    /// Creates an account with a random 16-hex-digit id. `passwordHash` may be empty (no
    /// password login). Throws UserError (invalid_username, reserved_username,
    /// username_exists, owner_exists, invalid_role, invalid_group).
    User create(const std::string& username, const std::string& role,
                const std::vector<std::string>& groups, const std::string& passwordHash,
                std::int64_t now);

    /// The built-in `guest` account (role guest, no password, builtin), created if missing.
    User ensureGuest(std::int64_t now);

    /// Sets role and groups, and the SFW check when given. Throws UserError (not_found,
    /// invalid_role, invalid_group, owner_exists, owner_protected, guest_protected).
    void update(const std::string& id, const std::string& role,
                const std::vector<std::string>& groups, std::optional<bool> sfwCheck);

    /// @return false when there is no such user. Throws UserError(guest_protected) for the
    /// built-in guest.
    bool setPassword(const std::string& id, const std::string& passwordHash);
    bool touchLogin(const std::string& id, std::int64_t now);
    /// Log out everywhere: credentials issued before `t` stop working (the authenticator
    /// compares a token's iat with User::tokensValidAfter).
    bool setTokensValidAfter(const std::string& id, std::int64_t t);
    bool setMfaEnabled(const std::string& id, bool enabled);
    /// Disables an account (no sign-in; its sessions, API tokens, SwarmUI sessions and a
    /// pending MFA step are deleted in the same transaction) or enables it again. Throws
    /// UserError (not_found, guest_protected, owner_protected).
    void setDisabled(const std::string& id, bool disabled);

    /// Deletes the account with its sessions, API tokens, MFA rows, SwarmUI sessions and
    /// secrets, in one transaction. Throws UserError (not_found, guest_protected,
    /// owner_protected, last_admin).
    void remove(const std::string& id);

    /// In one transaction: `toId` becomes owner, `fromId` (the current owner) becomes admin.
    /// Throws UserError (not_found, not_owner, same_user, guest_protected).
    void transferOwnership(const std::string& fromId, const std::string& toId);

    /// Throws UserError(invalid_username / reserved_username) when `username` cannot be an
    /// account name; the handlers may check before hashing a password.
    /// Throws std::invalid_argument("unknown user") unless the user exists; for stores that
    /// add rows for a user inside their own write transaction.
    static void requireExists(Database& database, Poco::Data::Session& session, const std::string& userId);

    static void validateUsername(const std::string& username);

private:
    std::optional<User> findWhere(Poco::Data::Session& session, const std::string& column,
                                  const std::string& value);
    User requireUser(Poco::Data::Session& session, const std::string& id);
    std::int64_t countOwners(Poco::Data::Session& session);

    Database& _database;
};

} // namespace comfygate::auth
