#include "CliCommands.h"

#include <set>
#include <stdexcept>

namespace comfygate {

bool CliCommands::isReserved(const std::string& name)
{
    static const std::set<std::string> reserved{"serve", "migrate", "modules", "policy", "completion", "help", "version"};
    return reserved.count(name) != 0;
}

void CliCommands::add(CliCommand command, const std::string& owner)
{
    if (command.name.empty() || isReserved(command.name) || !command.run)
        throw std::logic_error("module '" + owner + "' added an invalid or reserved command '" + command.name + "'");
    const auto existing = _commands.find(command.name);
    if (existing != _commands.end())
        throw std::logic_error("command '" + command.name + "' of module '" + owner + "' is already added by module '" +
                               existing->second.second + "'");
    const std::string name = command.name;
    _commands.emplace(name, std::make_pair(std::move(command), owner));
}

const CliCommand* CliCommands::find(const std::string& name) const
{
    const auto it = _commands.find(name);
    return it == _commands.end() ? nullptr : &it->second.first;
}

} // namespace comfygate
