#pragma once

#include <string>
#include <vector>

namespace comfygate {

/// `comfygate completion bash`: a bash completion script written from the command registry
/// (the kernel's commands and those the loaded modules add), so a module's command completes
/// without anyone editing a hand-written script.
class BashCompletion
{
public:
    struct Command
    {
        std::string name;
        std::string usage; ///< the command's usage text; its `comfygate NAME WORD` lines name the subcommands
    };

    /// `valueOptions` take a value (the next word is not the command).
    static std::string script(const std::vector<Command>& commands, const std::vector<std::string>& switches,
                              const std::vector<std::string>& valueOptions);

    /// The subcommands a usage text shows: the word after NAME on lines that start with
    /// `comfygate` (prose lines are skipped, they may use NAME as an ordinary word).
    static std::vector<std::string> subcommands(const std::string& name, const std::string& usage);
};

} // namespace comfygate
