#pragma once

#include "CommandLine.h"
#include "Configuration.h"

#include <memory>
#include <string>

namespace comfygate {

/// What backup and restore share: the configuration exactly as the other commands read it
/// (file, environment, --set; warnings only on the console), and their file-system helpers.
namespace ops {

std::unique_ptr<Configuration> commandConfiguration(const CommandLine& line,
                                                    const std::map<std::string, std::string>& extra = {});
/// Hex SHA-256 of everything passed to add().
class Sha256
{
public:
    Sha256();
    ~Sha256();
    void add(const char* data, std::size_t size);
    std::string hex();

private:
    struct Engine;
    std::unique_ptr<Engine> _engine;
};

/// fsync of a file descriptor; throws std::runtime_error naming `what`.
void syncFd(int fd, const std::string& what);

} // namespace ops
} // namespace comfygate
