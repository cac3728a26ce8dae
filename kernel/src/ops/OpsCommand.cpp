#include "OpsCommand.h"

#include "CliApplication.h"

#include <Poco/SHA2Engine.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace comfygate::ops {

std::unique_ptr<Configuration> commandConfiguration(const CommandLine& line,
                                                    const std::map<std::string, std::string>& extra)
{
    auto config = CliApplication::configuration(line);
    if (!config->isExplicit("log.level"))
        config->applyOverrides({{"log.level", "warning"}});
    if (!extra.empty())
        config->applyOverrides(extra);
    return config;
}

struct Sha256::Engine
{
    Poco::SHA2Engine sha{Poco::SHA2Engine::SHA_256};
};

Sha256::Sha256() : _engine(std::make_unique<Engine>()) {}
Sha256::~Sha256() = default;

void Sha256::add(const char* data, std::size_t size) { _engine->sha.update(data, static_cast<unsigned>(size)); }

std::string Sha256::hex() { return Poco::DigestEngine::digestToHex(_engine->sha.digest()); }

void syncFd(int fd, const std::string& what)
{
    if (::fsync(fd) != 0)
        throw std::runtime_error("cannot fsync " + what + ": " + std::strerror(errno));
}

} // namespace comfygate::ops
