#pragma once

#include "comfygate/Cli.h"

#include <map>
#include <string>

namespace comfygate {

/// Subcommands modules add to the `comfygate` executable.
class CliCommands
{
public:
    /// Throws std::logic_error for a duplicate or reserved name.
    void add(CliCommand command, const std::string& owner);
    const CliCommand* find(const std::string& name) const;
    const std::map<std::string, std::pair<CliCommand, std::string>>& all() const { return _commands; }

    /// Names the kernel's own commands use.
    static bool isReserved(const std::string& name);

private:
    std::map<std::string, std::pair<CliCommand, std::string>> _commands;
};

} // namespace comfygate
