#include "PolicyGeneration.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace comfygate {

namespace {

namespace fs = std::filesystem;

const std::string libraryPrefix = "lib/";

// (relative name, path) of every *.lua below the directory and its lib/, sorted by name.
// Hidden files (editor locks, ".#nsfw.lua") are not scripts.
std::vector<std::pair<std::string, fs::path>> listSources(const std::string& scriptsDir)
{
    std::vector<std::pair<std::string, fs::path>> files;
    auto collect = [&files](const fs::path& folder, const std::string& prefix) {
        std::error_code error;
        for (fs::directory_iterator it(folder, error), end; !error && it != end;
             it.increment(error)) {
            const std::string name = it->path().filename().string();
            std::error_code statError;
            if (name.empty() || name.front() == '.' || it->path().extension() != ".lua" ||
                !it->is_regular_file(statError))
                continue;
            files.emplace_back(prefix + name, it->path());
        }
    };
    collect(scriptsDir, "");
    collect(fs::path(scriptsDir) / "lib", libraryPrefix);
    std::sort(files.begin(), files.end());
    return files;
}

bool isLibraryFileName(const std::string& stem)
{
    return !stem.empty() && std::all_of(stem.begin(), stem.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

bool readSource(const fs::path& path, std::string& source, std::string& error)
{
    std::error_code sizeError;
    const auto size = fs::file_size(path, sizeError);
    if (sizeError) {
        error = sizeError.message();
        return false;
    }
    if (size > PolicyGeneration::maxFileSize) {
        error = "larger than " + std::to_string(PolicyGeneration::maxFileSize) + " bytes";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open the file";
        return false;
    }
    source.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
        error = "cannot read the file";
        return false;
    }
    return true;
}

} // namespace

PolicyGeneration::PolicyGeneration() : _libraries(std::make_shared<LuaSandbox::Libraries>())
{
}

PolicyGeneration::PolicyGeneration(std::uint64_t id, const std::string& scriptsDir,
                                   std::set<std::string> hookNames)
    : _id(id), _hookNames(std::move(hookNames))
{
    auto libraries = std::make_shared<LuaSandbox::Libraries>();
    std::error_code error;
    if (!fs::is_directory(scriptsDir, error)) {
        _readErrors.push_back(scriptsDir + ": the policy scripts directory does not exist");
        _libraries = libraries;
        return;
    }
    _stamps = stamp(scriptsDir);
    for (const auto& [name, path] : listSources(scriptsDir)) {
        std::string source;
        std::string problem;
        if (!readSource(path, source, problem)) {
            _readErrors.push_back(name + ": " + problem);
            continue;
        }
        if (name.compare(0, libraryPrefix.size(), libraryPrefix) == 0) {
            const std::string stem = path.stem().string();
            if (!isLibraryFileName(stem)) {
                _readErrors.push_back(name + ": library file names must be made of a-z, 0-9 "
                                             "and _ (require cannot reach this one)");
                continue;
            }
            libraries->emplace(stem, std::move(source));
        } else {
            _scripts.push_back({name, std::move(source)});
        }
    }
    _libraries = libraries;
}

PolicyGeneration::Stamps PolicyGeneration::stamp(const std::string& scriptsDir)
{
    Stamps stamps;
    for (const auto& [name, path] : listSources(scriptsDir)) {
        std::error_code error;
        const auto modified = fs::last_write_time(path, error);
        const auto size = error ? std::uintmax_t(0) : fs::file_size(path, error);
        if (error) {
            stamps[name] = {-1, -1};
            continue;
        }
        stamps[name] = {static_cast<std::int64_t>(modified.time_since_epoch().count()),
                        static_cast<std::int64_t>(size)};
    }
    return stamps;
}

bool PolicyGeneration::sameSources(const std::string& scriptsDir) const
{
    auto script = _scripts.begin();
    std::size_t libraries = 0;
    for (const auto& [name, path] : listSources(scriptsDir)) {
        std::string source;
        std::string problem;
        if (!readSource(path, source, problem))
            return false;
        if (name.compare(0, libraryPrefix.size(), libraryPrefix) == 0) {
            const auto found = _libraries->find(path.stem().string());
            if (found == _libraries->end() || found->second != source)
                return false;
            ++libraries;
        } else {
            if (script == _scripts.end() || script->name != name || script->source != source)
                return false;
            ++script;
        }
    }
    return script == _scripts.end() && libraries == _libraries->size();
}

} // namespace comfygate
