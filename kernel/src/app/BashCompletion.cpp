#include "BashCompletion.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <sstream>

namespace comfygate {
namespace {

bool isWord(const std::string& token)
{
    return !token.empty() && std::islower(static_cast<unsigned char>(token[0])) &&
           std::all_of(token.begin(), token.end(), [](char c) {
               return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                      c == '-';
           });
}

std::string joined(const std::vector<std::string>& words)
{
    std::string text;
    for (const auto& word : words)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

} // namespace

std::vector<std::string> BashCompletion::subcommands(const std::string& name, const std::string& usage)
{
    std::vector<std::string> found;
    std::istringstream lines(usage);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream tokens(line);
        std::vector<std::string> words{std::istream_iterator<std::string>(tokens), {}};
        if (words.empty() || words[0] != "comfygate")
            continue;
        const auto at = std::find(words.begin(), words.end(), name);
        if (at == words.end() || at + 1 == words.end() || !isWord(*(at + 1)))
            continue;
        if (std::find(found.begin(), found.end(), *(at + 1)) == found.end())
            found.push_back(*(at + 1));
    }
    return found;
}

std::string BashCompletion::script(const std::vector<Command>& commands, const std::vector<std::string>& switches,
                                   const std::vector<std::string>& valueOptions)
{
    std::vector<std::string> names;
    for (const auto& command : commands)
        names.push_back(command.name);
    std::vector<std::string> options = switches;
    options.insert(options.end(), valueOptions.begin(), valueOptions.end());
    std::string valueCase;
    for (const auto& option : valueOptions)
        valueCase += (valueCase.empty() ? "" : "|") + option;

    std::ostringstream out;
    out << "# bash completion for comfygate, written by `comfygate completion bash`.\n"
        << "# Install: comfygate completion bash > /etc/bash_completion.d/comfygate\n"
        << "_comfygate()\n{\n"
        << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        << "    local i command=\n"
        << "    case $prev in\n"
        << "        --config|--data-dir) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
        << "        " << valueCase << ") COMPREPLY=(); return ;;\n"
        << "    esac\n"
        << "    # The command is the first word that is neither an option nor an option's value.\n"
        << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        << "        case ${COMP_WORDS[i]} in\n"
        << "            " << valueCase << ") ((i++)) ;;\n"
        << "            -*) ;;\n"
        << "            *) command=${COMP_WORDS[i]}; break ;;\n"
        << "        esac\n"
        << "    done\n"
        << "    if [[ -z $command ]]; then\n"
        << "        if [[ $cur == -* ]]; then\n"
        << "            COMPREPLY=($(compgen -W \"" << joined(options) << "\" -- \"$cur\"))\n"
        << "        else\n"
        << "            COMPREPLY=($(compgen -W \"" << joined(names) << "\" -- \"$cur\"))\n"
        << "        fi\n"
        << "        return\n"
        << "    fi\n"
        << "    ((i + 1 == COMP_CWORD)) || return\n"
        << "    case $command in\n";
    for (const auto& command : commands) {
        const auto words = subcommands(command.name, command.usage);
        if (!words.empty())
            out << "        " << command.name << ") COMPREPLY=($(compgen -W \"" << joined(words) << "\" -- \"$cur\")) ;;\n";
    }
    out << "    esac\n}\ncomplete -F _comfygate comfygate\n";
    return out.str();
}

} // namespace comfygate
