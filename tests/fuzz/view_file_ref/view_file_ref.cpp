// File references as clients send them: GET /view's filename/type/subfolder and the file
// names inside workflow inputs ("pasted/a.png [input]"). Besides crashes, the target checks
// what every accepted reference promises the handlers: a known type, a subfolder without `..`,
// leading '/', empty elements, backslashes or control characters, and a plain file name.
// Input: the parts separated by '\n' (filename, type, subfolder; a missing part is absent).
#include "FileRef.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

using comfygate::comfyproxy::FileRef;

bool confinedFolder(const std::string& folder)
{
    if (folder.empty())
        return true;
    if (folder.front() == '/' || folder.back() == '/')
        return false;
    std::size_t start = 0;
    while (true) {
        const auto slash = folder.find('/', start);
        const std::string element = folder.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!FileRef::isPlainName(element))
            return false;
        if (slash == std::string::npos)
            return true;
        start = slash + 1;
    }
}

void checkAccepted(const FileRef& ref)
{
    if (ref.type != "output" && ref.type != "input" && ref.type != "temp")
        std::abort();
    if (!FileRef::isPlainName(ref.filename) || !confinedFolder(ref.subfolder))
        std::abort();
    ref.viewQuery();
    ref.describe();
    ref.topFolder();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (parts.size() < 3) {
        const auto newline = text.find('\n', start);
        parts.push_back(text.substr(start, newline == std::string::npos ? std::string::npos : newline - start));
        if (newline == std::string::npos)
            break;
        start = newline + 1;
    }
    const std::optional<std::string> type = parts.size() > 1 ? std::optional(parts[1]) : std::nullopt;
    const std::optional<std::string> subfolder = parts.size() > 2 ? std::optional(parts[2]) : std::nullopt;
    try {
        checkAccepted(FileRef::fromView(parts[0], type, subfolder));
    } catch (const FileRef::Invalid&) {
    }
    try {
        checkAccepted(FileRef::fromWorkflowValue(text, "input"));
    } catch (const FileRef::Invalid&) {
    }
    try {
        if (!confinedFolder(FileRef::normaliseFolder(text)))
            std::abort();
    } catch (const FileRef::Invalid&) {
    }
    FileRef::annotation(text);
    FileRef::encodeQueryValue(text);
    return 0;
}
