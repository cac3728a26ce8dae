#pragma once

#include "CommandLine.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace Poco::JSON {
class Array;
}

namespace comfygate {

class Configuration;
class Kernel;

/// The `comfygate` executable: global options, the kernel's commands (serve, migrate,
/// modules, policy check, policy test) and the commands modules add. Each command starts only the
/// subsystems it needs.
class CliApplication
{
public:
    CliApplication(std::istream& in, std::ostream& out, std::ostream& err);
    ~CliApplication();

    int run(const std::vector<std::string>& args);

    /// The configuration as every command reads it: the --config file, then the environment,
    /// then --set (backup and restore start from it too).
    static std::unique_ptr<Configuration> configuration(const CommandLine& line);

private:
    int serve();
    int migrate();
    int migrateDryRun(bool json);
    int listModules(bool json);
    void printModules(const Poco::JSON::Array& modules, const Poco::JSON::Array& warnings);
    int completion(const std::vector<std::string>& words);
    int policy(const std::vector<std::string>& words);
    int moduleCommand(const std::string& name, const std::vector<std::string>& words);
    void printHelp();
    bool commandHelp(const std::string& command, const std::vector<std::string>& words);
    void bootKernel(const CommandLine& line, bool withModules);

    std::istream& _in;
    std::ostream& _out;
    std::ostream& _err;
    CommandLine _line;
    std::unique_ptr<Kernel> _kernel;
};

} // namespace comfygate
