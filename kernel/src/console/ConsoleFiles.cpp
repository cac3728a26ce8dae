#include "ConsoleFiles.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <fstream>
#include <map>
#include <sstream>

namespace comfygate {
namespace {

/// The console ships a few hundred kilobytes; anything far larger is not one of its files.
constexpr std::uintmax_t maxFileBytes = 8 * 1024 * 1024;

bool safeSegment(const std::string& segment)
{
    return !segment.empty() && segment.front() != '.' && segment.find('\\') == std::string::npos &&
           segment.find('\0') == std::string::npos;
}

bool safeRelativePath(const std::string& relative)
{
    if (relative.empty() || relative.front() == '/')
        return false;
    std::string::size_type start = 0;
    while (true) {
        const auto slash = relative.find('/', start);
        if (!safeSegment(relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start)))
            return false;
        if (slash == std::string::npos)
            return true;
        start = slash + 1;
    }
}

bool inside(const std::filesystem::path& root, const std::filesystem::path& candidate)
{
    const std::string rootText = root.native() + "/";
    return candidate.native().compare(0, rootText.size(), rootText) == 0;
}

std::string entityTag(const std::string& body)
{
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(body);
    return "\"" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 32) + "\"";
}

} // namespace

bool ConsoleFiles::looksLikePage(const std::string& relative)
{
    const auto slash = relative.rfind('/');
    const std::string last = slash == std::string::npos ? relative : relative.substr(slash + 1);
    return last.find('.') == std::string::npos;
}

std::string ConsoleFiles::contentTypeOf(const std::string& name)
{
    static const std::map<std::string, std::string> types{{"html", "text/html; charset=utf-8"},
                                                          {"js", "text/javascript; charset=utf-8"},
                                                          {"mjs", "text/javascript; charset=utf-8"},
                                                          {"css", "text/css; charset=utf-8"},
                                                          {"json", "application/json; charset=utf-8"},
                                                          {"svg", "image/svg+xml"},
                                                          {"png", "image/png"},
                                                          {"ico", "image/x-icon"},
                                                          {"webp", "image/webp"},
                                                          {"woff2", "font/woff2"},
                                                          {"txt", "text/plain; charset=utf-8"},
                                                          {"webmanifest", "application/manifest+json"}};
    const auto dot = name.rfind('.');
    if (dot == std::string::npos)
        return "application/octet-stream";
    const auto type = types.find(Poco::toLower(name.substr(dot + 1)));
    return type == types.end() ? "application/octet-stream" : type->second;
}

std::optional<ConsoleFile> ConsoleFiles::find(const std::string& relative) const
{
    if (relative.empty() || looksLikePage(relative))
        return read(indexName);
    return read(relative);
}

std::optional<ConsoleFile> ConsoleFiles::read(const std::string& relative) const
{
    if (!safeRelativePath(relative))
        return std::nullopt;
    std::error_code error;
    const auto root = std::filesystem::canonical(_root, error);
    if (error)
        return std::nullopt;
    // canonical() follows every symbolic link, so a link pointing out of the directory
    // resolves to a path outside it and is refused here.
    const auto resolved = std::filesystem::canonical(root / relative, error);
    if (error || !inside(root, resolved) || !std::filesystem::is_regular_file(resolved, error))
        return std::nullopt;
    const auto size = std::filesystem::file_size(resolved, error);
    if (error || size > maxFileBytes)
        return std::nullopt;
    std::ifstream in(resolved, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream body;
    body << in.rdbuf();
    ConsoleFile file;
    file.name = relative;
    file.contentType = contentTypeOf(relative);
    file.body = body.str();
    file.etag = entityTag(file.body);
    return file;
}

} // namespace comfygate
