#include "PolicyFiles.h"

#include "PolicyGeneration.h"
#include "comfygate/AtomicFile.h"

#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

#include <regex>
#include <stdexcept>

namespace comfygate {

std::vector<PolicyFiles::File> PolicyFiles::list() const
{
    std::vector<File> files;
    for (const auto& [name, stamp] : PolicyGeneration::stamp(_scriptsDir)) {
        File file{name, stamp.second, 0};
        try {
            file.modified = Poco::File(_scriptsDir + "/" + name).getLastModified().epochTime();
        } catch (const Poco::Exception&) {
            // Gone since the listing: keep it with no time, the next listing drops it.
        }
        files.push_back(file);
    }
    return files;
}

std::optional<std::string> PolicyFiles::read(const std::string& name) const
{
    const auto stamps = PolicyGeneration::stamp(_scriptsDir);
    if (stamps.find(name) == stamps.end())
        return std::nullopt;
    const std::string path = _scriptsDir + "/" + name;
    try {
        if (Poco::File(path).getSize() > PolicyGeneration::maxFileSize)
            throw std::runtime_error(name + " is larger than a policy file may be");
        Poco::FileInputStream in(path);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot read " + name + ": " + e.displayText());
    }
}

std::optional<std::string> PolicyFiles::replace(const std::string& name, const std::string& text) const
{
    if (text.size() > PolicyGeneration::maxFileSize)
        throw std::invalid_argument("a policy file holds at most " + std::to_string(PolicyGeneration::maxFileSize) +
                                    " bytes");
    auto previous = read(name);
    if (previous)
        AtomicFile::write(_scriptsDir + "/" + name, text);
    return previous;
}

bool PolicyFiles::isRunning(const PolicyGeneration& generation, const std::string& name, const std::string& text)
{
    const std::string libraryPrefix = "lib/", extension = ".lua";
    if (name.compare(0, libraryPrefix.size(), libraryPrefix) == 0 &&
        name.size() > libraryPrefix.size() + extension.size()) {
        const auto& libraries = *generation.libraries();
        const auto found =
            libraries.find(name.substr(libraryPrefix.size(), name.size() - libraryPrefix.size() - extension.size()));
        return found != libraries.end() && found->second == text;
    }
    for (const auto& script : generation.scripts()) {
        if (script.name == name)
            return script.source == text;
    }
    return false;
}

PolicyFiles::Problem PolicyFiles::parseError(const std::string& error)
{
    static const std::regex located(R"(^((?:lib/)?[^:/\s]+\.lua):(\d{1,9}):\s*(.*)$)");
    static const std::regex named(R"(^((?:lib/)?[^:/\s]+\.lua):\s*(.*)$)");
    std::smatch match;
    if (std::regex_match(error, match, located))
        return {match[1], std::stoi(match[2]), match[3]};
    if (std::regex_match(error, match, named))
        return {match[1], std::nullopt, match[2]};
    return {"", std::nullopt, error};
}

} // namespace comfygate
