#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// `comfygate [global options] <command> [command words]`. Global options may appear
/// before the command: --config FILE, --set key=value, --port N, --data-dir DIR,
/// --help, --version. Everything after the command belongs to the command.
struct CommandLine
{
    std::string configFile;
    std::map<std::string, std::string> overrides;
    std::string command;
    std::vector<std::string> words;
    bool help = false;
    bool version = false;

    /// Throws std::invalid_argument with a usage hint.
    static CommandLine parse(const std::vector<std::string>& args);
};

} // namespace comfygate
