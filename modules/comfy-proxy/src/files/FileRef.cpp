#include "FileRef.h"

#include <Poco/URI.h>

#include <sstream>
#include <vector>

namespace comfygate::comfyproxy {
namespace {

bool hasControlCharacter(const std::string& text)
{
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

bool isKnownType(const std::string& type)
{
    return type == "output" || type == "input" || type == "temp";
}

} // namespace

std::string FileRef::annotation(const std::string& name)
{
    for (const char* type : {"output", "input", "temp"}) {
        const std::string suffix = std::string("[") + type + "]";
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return type;
    }
    return {};
}

std::string FileRef::normaliseFolder(const std::string& folder)
{
    if (!folder.empty() && folder.front() == '/')
        throw Invalid{"an absolute path is not allowed"};
    if (folder.find('\\') != std::string::npos || hasControlCharacter(folder))
        throw Invalid{"backslashes and control characters are not allowed in a path"};
    std::vector<std::string> parts;
    std::istringstream in(folder);
    std::string part;
    while (std::getline(in, part, '/')) {
        if (part == "..")
            throw Invalid{"'..' is not allowed in a path"};
        if (!part.empty() && part != ".")
            parts.push_back(part);
    }
    std::string normalised;
    for (const auto& element : parts)
        normalised += (normalised.empty() ? "" : "/") + element;
    return normalised;
}

bool FileRef::isPlainName(const std::string& name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\\') == std::string::npos && !hasControlCharacter(name);
}

FileRef FileRef::fromView(const std::string& filename, const std::optional<std::string>& type,
                          const std::optional<std::string>& subfolder)
{
    FileRef ref;
    std::string name = filename;
    const std::string annotated = annotation(name);
    if (!annotated.empty()) {
        name.erase(name.size() - std::min(name.size(), annotated.size() + 3));
        ref.type = annotated;
    } else {
        ref.type = type.value_or("output");
    }
    if (name.empty())
        throw Invalid{"the file name is empty"};
    if (!isKnownType(ref.type))
        throw Invalid{"type must be output, input or temp"};
    // ComfyUI serves only the last element of the name; the gateway refuses what it would refuse
    // and then checks exactly the file ComfyUI would send.
    const std::string path = normaliseFolder(name);
    const auto slash = path.rfind('/');
    ref.filename = slash == std::string::npos ? path : path.substr(slash + 1);
    if (!isPlainName(ref.filename))
        throw Invalid{"the file name is empty"};
    ref.subfolder = normaliseFolder(subfolder.value_or(""));
    return ref;
}

FileRef FileRef::fromWorkflowValue(const std::string& value, const std::string& defaultType)
{
    FileRef ref;
    std::string name = value;
    const std::string annotated = annotation(name);
    if (!annotated.empty())
        name.erase(name.size() - std::min(name.size(), annotated.size() + 3));
    ref.type = annotated.empty() ? defaultType : annotated;
    // A workflow names "sub/name": the path before the last element is the subfolder.
    const std::string path = normaliseFolder(name);
    const auto slash = path.rfind('/');
    ref.filename = slash == std::string::npos ? path : path.substr(slash + 1);
    ref.subfolder = slash == std::string::npos ? "" : path.substr(0, slash);
    if (!isPlainName(ref.filename))
        throw Invalid{"the file name is empty"};
    return ref;
}

std::string FileRef::encodeQueryValue(const std::string& value)
{
    std::string encoded;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", encoded);
    return encoded;
}

std::string FileRef::viewQuery() const
{
    std::string query;
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string&>{"filename", filename}, {"type", type}, {"subfolder", subfolder}}) {
        query += (query.empty() ? "" : "&") + std::string(key) + "=" + encodeQueryValue(value);
    }
    return query;
}

std::string FileRef::describe() const
{
    return type + "/" + (subfolder.empty() ? "" : subfolder + "/") + filename;
}

} // namespace comfygate::comfyproxy
