#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace comfygate {

/// A `comfygate <name> ...` subcommand a module adds. The CLI starts the kernel's
/// subsystems and modules but not the HTTP server before it runs the command.
struct CliCommand
{
    std::string name;    ///< first word, e.g. "user"
    std::string summary; ///< one line for `comfygate --help`
    std::string usage;   ///< full help text for `comfygate <name> --help`
    /// Receives the words after the name; returns the process exit code.
    std::function<int(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err)>
        run;
};

class CliRegistry
{
public:
    virtual ~CliRegistry() = default;
    virtual void add(CliCommand command) = 0;
};

} // namespace comfygate
