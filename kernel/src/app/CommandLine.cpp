#include "CommandLine.h"

namespace comfygate {

const std::vector<std::string>& CommandLine::switches()
{
    static const std::vector<std::string> names{"--help", "--version", "--verbose"};
    return names;
}

const std::vector<std::string>& CommandLine::valueOptions()
{
    static const std::vector<std::string> names{"--config", "--set", "--port", "--data-dir"};
    return names;
}

CommandLine CommandLine::parse(const std::vector<std::string>& args)
{
    CommandLine line;
    std::size_t i = 0;
    auto value = [&](const std::string& option) -> std::string {
        if (i + 1 >= args.size())
            throw std::invalid_argument(option + " needs a value");
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            line.help = true;
        } else if (arg == "--verbose" || arg == "-v") {
            line.verbose = true;
        } else if (arg == "--version") {
            line.version = true;
        } else if (arg == "--config") {
            line.configFile = value(arg);
        } else if (arg == "--port") {
            line.overrides["http.port"] = value(arg);
        } else if (arg == "--data-dir") {
            line.overrides["data.dir"] = value(arg);
        } else if (arg == "--set") {
            const std::string pair = value(arg);
            const auto eq = pair.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::invalid_argument("--set needs key=value, got '" + pair + "'");
            line.overrides[pair.substr(0, eq)] = pair.substr(eq + 1);
        } else if (!arg.empty() && arg[0] == '-') {
            throw std::invalid_argument("unknown option " + arg + " (see comfygate --help)");
        } else {
            line.command = arg;
            line.words.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
    }
    return line;
}

} // namespace comfygate
