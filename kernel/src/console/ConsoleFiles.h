#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace comfygate {

/// One file of the web console as it is sent.
struct ConsoleFile
{
    std::string name; ///< the path below the console directory that was read
    std::string contentType;
    std::string body;
    std::string etag; ///< a strong entity tag: the quoted start of the body's SHA-256
};

/// The web console's files in `<http.www_dir>/console`, read per request (they are small and
/// an operator may edit them in place). A request path is confined to that directory: dot
/// segments, hidden names, backslashes and NUL are refused before the file system is asked,
/// and the resolved path (symbolic links followed) must still lie inside the directory.
class ConsoleFiles
{
public:
    explicit ConsoleFiles(std::filesystem::path root) : _root(std::move(root)) {}

    /// The file for `relative`, the percent-decoded path below /console/: the console's
    /// page (`index.html`) for "" and for anything that looks like a page of the client's
    /// router (no `.` in its last segment); nothing when there is no such file or the path
    /// leaves the directory.
    std::optional<ConsoleFile> find(const std::string& relative) const;

    /// True when `relative` names a page of the console rather than a file (no extension).
    static bool looksLikePage(const std::string& relative);

    /// The media type of a file name by its extension; application/octet-stream if unknown.
    static std::string contentTypeOf(const std::string& name);

    const std::filesystem::path& root() const { return _root; }

    static constexpr const char* indexName = "index.html";

private:
    std::optional<ConsoleFile> read(const std::string& relative) const;

    std::filesystem::path _root;
};

} // namespace comfygate
