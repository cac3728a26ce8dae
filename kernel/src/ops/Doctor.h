#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace comfygate {

struct CommandLine;

/// `comfygate doctor [--json]`: checks the installation without starting the kernel, so it
/// changes nothing (no data directory, key, database or migration is created) and works
/// while a server runs. Exit 0 when no check failed, 1 when one did, 2 for bad words.
class Doctor
{
public:
    /// Reads the configuration as the kernel does (file, environment, --set), then checks.
    static int run(const CommandLine& line, std::ostream& out, std::ostream& err);
};

} // namespace comfygate
