#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// `comfygate [global options] <command> [command words]`. Global options may appear
/// before the command: --config FILE, --set key=value, --port N, --data-dir DIR,
/// --verbose, --help, --version. Everything after the command belongs to the command.
struct CommandLine
{
    std::string configFile;
    std::map<std::string, std::string> overrides;
    std::string command;
    std::vector<std::string> words;
    bool help = false;
    bool version = false;
    /// Commands other than serve show their INFO log lines only with --verbose.
    bool verbose = false;

    /// Throws std::invalid_argument with a usage hint.
    static CommandLine parse(const std::vector<std::string>& args);

    /// The global options parse() accepts, for shell completion: those without and those with a value.
    static const std::vector<std::string>& switches();
    static const std::vector<std::string>& valueOptions();
};

} // namespace comfygate
