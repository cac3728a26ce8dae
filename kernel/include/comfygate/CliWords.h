#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// The words of a module's CLI command split into positional words and flags: `--switch`
/// (maps to "") and `--option value`. Header-only, so it adds nothing to the module ABI.
struct CliWords
{
    std::vector<std::string> positional;
    std::map<std::string, std::string> flags;

    bool has(const std::string& flag) const { return flags.count(flag) != 0; }

    /// Throws std::invalid_argument (the message names the word) for an unknown `--word`, an
    /// option without a value, or a flag given twice.
    static CliWords parse(const std::vector<std::string>& args, const std::set<std::string>& switches,
                          const std::set<std::string>& options)
    {
        CliWords words;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& word = args[i];
            const bool isSwitch = switches.count(word) != 0;
            if (!isSwitch && !options.count(word)) {
                if (word.rfind("--", 0) == 0)
                    throw std::invalid_argument("unknown option " + word);
                words.positional.push_back(word);
                continue;
            }
            if (words.has(word))
                throw std::invalid_argument(word + " is given twice");
            if (isSwitch) {
                words.flags[word] = "";
                continue;
            }
            if (i + 1 >= args.size() || args[i + 1].empty())
                throw std::invalid_argument(word + " needs a value");
            words.flags[word] = args[++i];
        }
        return words;
    }
};

} // namespace comfygate
