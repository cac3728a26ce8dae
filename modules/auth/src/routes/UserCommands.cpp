#include "UserCommands.h"

#include "ApiTokenCodec.h"
#include "AuthServices.h"
#include "TokenRoutes.h"
#include "comfygate/Cli.h"
#include "comfygate/HttpError.h"

#include <Poco/NumberParser.h>

#include <iostream>
#include <map>

namespace comfygate::auth {
namespace {

const char* userUsage = "comfygate user add NAME [--role ROLE] --password-stdin\n"
                        "comfygate user passwd NAME --password-stdin\n"
                        "comfygate user list\n"
                        "comfygate user reset-mfa NAME\n"
                        "comfygate user delete NAME\n\n"
                        "Roles: owner, admin, power, user (default), guest. There is exactly one owner; the first\n"
                        "user you add should be the owner. Passwords are read from the first line of stdin.";

const char* tokenUsage = "comfygate token create NAME [--label LABEL] [--hours HOURS]\n\n"
                         "Creates an API token for the user and prints it once. HOURS defaults to 720;\n"
                         "0 never expires (needs can_have_non_expiring_jwt).";

/// Splits `words` into positional words and --flag value pairs (--password-stdin takes none).
std::pair<std::vector<std::string>, std::map<std::string, std::string>> parse(const std::vector<std::string>& words)
{
    std::vector<std::string> positional;
    std::map<std::string, std::string> flags;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (words[i] == "--password-stdin") {
            flags[words[i]] = "";
        } else if (words[i].rfind("--", 0) == 0) {
            if (i + 1 >= words.size())
                throw std::invalid_argument(words[i] + " needs a value");
            flags[words[i]] = words[i + 1];
            ++i;
        } else {
            positional.push_back(words[i]);
        }
    }
    return {positional, flags};
}

} // namespace

void UserCommands::registerAll(CliRegistry& cli)
{
    cli.add({"user", "manage users: add, passwd, list, reset-mfa, delete", userUsage,
             [this](const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
                 return user(args, in, out, err);
             }});
    cli.add({"token", "create an API token for a user", tokenUsage,
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
    try {
        const auto [words, flags] = parse(args);
        const std::string action = words.empty() ? "" : words[0];
        const std::int64_t now = unixNow();
        if (action == "list" && words.size() == 1) {
            for (const auto& user : _services.users.list())
                out << user.username << "\t" << user.role << (user.mfaEnabled ? "\tmfa" : "") << "\n";
            return 0;
        }
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

int UserCommands::token(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    try {
        const auto [words, flags] = parse(args);
        if (words.size() != 2 || words[0] != "create") {
            err << "usage:\n" << tokenUsage << "\n";
            return 2;
        }
        const auto user = _services.users.findByName(words[1]);
        if (!user) {
            err << "no user named " << words[1] << "\n";
            return 1;
        }
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
