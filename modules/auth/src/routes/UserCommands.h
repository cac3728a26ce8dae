#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace comfygate {
class CliRegistry;
}

namespace comfygate::auth {

struct AuthServices;
struct User;

/// `comfygate user ...` and `comfygate token ...`: bootstrap and recovery from the server's
/// own shell (creating the owner, resetting a password or MFA, issuing a token).
class UserCommands
{
public:
    explicit UserCommands(AuthServices& services) : _services(services) {}
    void registerAll(CliRegistry& cli);

private:
    int user(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
    int token(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
    int listUsers(bool json, std::ostream& out);
    int listTokens(const User& user, bool json, std::ostream& out);
    std::string readPassword(std::istream& in, std::ostream& err) const;

    AuthServices& _services;
};

} // namespace comfygate::auth
