#include "UserCommands.h"

#include "ApiTokenCodec.h"
#include "AuthServices.h"
#include "TokenRoutes.h"
#include "comfygate/Cli.h"
#include "comfygate/CliWords.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

#include <iostream>
#include <map>

namespace comfygate::auth {
namespace {

const char* userUsage = "comfygate user add NAME [--role ROLE] --password-stdin\n"
                        "comfygate user passwd NAME --password-stdin\n"
                        "comfygate user list [--json]\n"
                        "comfygate user reset-mfa NAME\n"
                        "comfygate user delete NAME\n\n"
                        "Roles: owner, admin, power, user (default), guest. There is exactly one owner; the first\n"
                        "user you add should be the owner. Passwords are read from the first line of stdin.";

const char* tokenUsage = "comfygate token create NAME [--label LABEL] [--hours HOURS]\n"
                         "comfygate token list NAME [--json]\n\n"
                         "create: creates an API token for the user and prints it once. HOURS defaults to 720;\n"
                         "0 never expires (needs can_have_non_expiring_jwt).\n"
                         "list: the user's API tokens (label, created, expires, last used; never the token).";

/// The words of `user` and `token`; throws std::invalid_argument (a usage error) for an unknown
/// or incomplete flag.
CliWords parse(const std::vector<std::string>& words)
{
    return CliWords::parse(words, {"--password-stdin", "--json"}, {"--role", "--label", "--hours"});
}

/// A Unix time for JSON: null for "never" (0), like the HTTP API's optional times.
Poco::Dynamic::Var optionalTime(std::int64_t seconds)
{
    return seconds == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(seconds);
}

void printJson(const Poco::JSON::Object::Ptr& document, std::ostream& out)
{
    document->stringify(out, 2);
    out << "\n";
}

} // namespace

void UserCommands::registerAll(CliRegistry& cli)
{
    cli.add({"user", "manage users: add, passwd, list, reset-mfa, delete", userUsage,
             [this](const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
                 return user(args, in, out, err);
             }});
    cli.add({"token", "create or list a user's API tokens", tokenUsage,
             [this](const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
                 return token(args, out, err);
             }});
}

std::string UserCommands::readPassword(std::istream& in, std::ostream& err) const
{
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r')
        password.pop_back();
    if (password.empty())
        err << "no password on stdin (use --password-stdin and pipe it in)\n";
    return password;
}

int UserCommands::user(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err)
{
    CliWords parsed;
    try {
        parsed = parse(args);
    } catch (const std::invalid_argument& e) {
        err << e.what() << "\nusage:\n" << userUsage << "\n";
        return 2;
    }
    try {
        const auto& words = parsed.positional;
        const auto& flags = parsed.flags;
        const std::string action = words.empty() ? "" : words[0];
        const std::int64_t now = unixNow();
        if (action == "list" && words.size() == 1)
            return listUsers(parsed.has("--json"), out);
        if (words.size() != 2) {
            err << "usage:\n" << userUsage << "\n";
            return 2;
        }
        const std::string name = words[1];
        if (action == "add") {
            if (!flags.count("--password-stdin")) {
                err << "add needs --password-stdin (passwords never go on the command line)\n";
                return 2;
            }
            const std::string role = flags.count("--role") ? flags.at("--role") : "user";
            const std::string password = readPassword(in, err);
            if (password.empty())
                return 2;
            if (const auto problem = _services.passwordPolicy.problem(password, name)) {
                err << *problem << "\n";
                return 1;
            }
            _services.users.create(name, role, {role}, _services.hasher.hash(password), now);
            _services.users.ensureGuest(now);
            _services.audit("cli", "user.create", name, "", "{\"role\":\"" + role + "\"}");
            out << "created " << role << " " << name << "\n";
            return 0;
        }
        const auto user = _services.users.findByName(name);
        if (!user) {
            err << "no user named " << name << "\n";
            return 1;
        }
        if (action == "passwd") {
            const std::string password = readPassword(in, err);
            if (password.empty())
                return 2;
            if (const auto problem = _services.passwordPolicy.problem(password, name)) {
                err << *problem << "\n";
                return 1;
            }
            _services.users.setPassword(user->id, _services.hasher.hash(password));
            // A reset password is often a stolen one: end the API tokens too, not only the
            // sessions (a running server sees it on the next request, see CredentialCache).
            // The rows go, so a credential made within the same second goes too, which
            // tokens_valid_after (whole seconds) alone would miss; it still guards the rest.
            _services.users.setTokensValidAfter(user->id, unixNow());
            _services.sessions.revokeForUser(user->id, "");
            _services.apiTokens.revokeForUser(user->id);
            _services.audit("cli", "password.reset", name, "");
            out << "password changed; " << name << "'s sessions and API tokens were ended\n";
            return 0;
        }
        if (action == "reset-mfa") {
            _services.mfa.disable(user->id);
            _services.audit("cli", "mfa.reset", name, "");
            out << "MFA reset for " << name << "\n";
            return 0;
        }
        if (action == "delete") {
            if (user->builtin || user->role == "owner") {
                err << "the guest user and the owner cannot be deleted\n";
                return 1;
            }
            _services.users.remove(user->id);
            _services.audit("cli", "user.delete", name, "");
            out << "deleted " << name << "\n";
            return 0;
        }
        err << "usage:\n" << userUsage << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << e.what() << "\n";
        return 1;
    }
}

int UserCommands::listUsers(bool json, std::ostream& out)
{
    const auto users = _services.users.list();
    if (!json) {
        for (const auto& user : users)
            out << user.username << "\t" << user.role << (user.mfaEnabled ? "\tmfa" : "") << "\n";
        return 0;
    }
    Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
    for (const auto& user : users) {
        Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
        row->set("username", user.username);
        row->set("role", user.role);
        row->set("mfa", user.mfaEnabled);
        rows->add(row);
    }
    Poco::JSON::Object::Ptr document = new Poco::JSON::Object;
    document->set("users", rows);
    printJson(document, out);
    return 0;
}

int UserCommands::listTokens(const User& user, bool json, std::ostream& out)
{
    const auto tokens = _services.apiTokens.listForUser(user.id);
    if (!json) {
        out << "LABEL\tCREATED\tEXPIRES\tLAST_USED\n";
        for (const auto& token : tokens)
            out << token.label << "\t" << token.createdAt << "\t" << (token.expiresAt ? std::to_string(token.expiresAt) : "never")
                << "\t" << (token.lastUsedAt ? std::to_string(token.lastUsedAt) : "never") << "\n";
        return 0;
    }
    Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
    for (const auto& token : tokens) {
        Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
        row->set("label", token.label);
        row->set("created_at", token.createdAt);
        row->set("expires_at", optionalTime(token.expiresAt));
        row->set("last_used_at", optionalTime(token.lastUsedAt));
        rows->add(row);
    }
    Poco::JSON::Object::Ptr document = new Poco::JSON::Object;
    document->set("username", user.username);
    document->set("tokens", rows);
    printJson(document, out);
    return 0;
}

int UserCommands::token(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    CliWords parsed;
    try {
        parsed = parse(args);
    } catch (const std::invalid_argument& e) {
        err << e.what() << "\nusage:\n" << tokenUsage << "\n";
        return 2;
    }
    try {
        const auto& words = parsed.positional;
        const auto& flags = parsed.flags;
        if (words.size() != 2 || (words[0] != "create" && words[0] != "list")) {
            err << "usage:\n" << tokenUsage << "\n";
            return 2;
        }
        const auto user = _services.users.findByName(words[1]);
        if (!user) {
            err << "no user named " << words[1] << "\n";
            return 1;
        }
        if (words[0] == "list")
            return listTokens(*user, parsed.has("--json"), out);
        Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
        if (flags.count("--hours")) {
            Poco::Int64 hours = 0;
            if (!Poco::NumberParser::tryParse64(flags.at("--hours"), hours)) {
                err << "--hours takes a whole number\n";
                return 2;
            }
            request->set("expire_hours", hours);
        }
        const std::string label = flags.count("--label") ? flags.at("--label") : "cli";
        const auto answer = TokenRoutes::issue(_services, *user, label,
                                               TokenRoutes::expireHours(_services, request, *user), "");
        out << answer->getValue<std::string>("jwt_token") << "\n";
        err << "token for " << user->username << " (shown once; store it now)\n";
        return 0;
    } catch (const HttpError& e) {
        err << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        err << e.what() << "\n";
        return 1;
    }
}

} // namespace comfygate::auth
