#include "StrictNameCleaner.h"

#include <Poco/String.h>

#include <cctype>
#include <cstring>

namespace comfygate::presets {

bool StrictNameCleaner::isReservedDeviceName(const std::string& segment)
{
    // Windows refuses these names with any extension; dots are gone already, so an exact
    // match (case-insensitive) is enough.
    static const char* const reserved[] = {"CON", "PRN", "AUX", "NUL"};
    const std::string upper = Poco::toUpper(segment);
    for (const char* name : reserved)
        if (upper == name)
            return true;
    return upper.size() == 4 && (upper.rfind("COM", 0) == 0 || upper.rfind("LPT", 0) == 0) && upper[3] >= '1' &&
           upper[3] <= '9';
}

std::string StrictNameCleaner::clean(const std::string& name)
{
    std::string kept;
    kept.reserve(name.size());
    for (char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\')
            c = '/';
        if (byte < 32 || byte == 127 || std::strchr("<>:\"|?*.", c) != nullptr)
            continue;
        if (c == '/' && !kept.empty() && kept.back() == '/')
            continue;
        kept.push_back(c);
    }

    // Split into segments: trims the outer slashes and spaces, and suffixes device names.
    std::string cleaned;
    std::size_t start = 0;
    while (start <= kept.size()) {
        std::size_t end = kept.find('/', start);
        if (end == std::string::npos)
            end = kept.size();
        std::string segment = Poco::trim(kept.substr(start, end - start));
        if (!segment.empty()) {
            if (isReservedDeviceName(segment))
                segment += '_';
            if (!cleaned.empty())
                cleaned += '/';
            cleaned += segment;
        }
        start = end + 1;
    }
    return cleaned;
}

std::string StrictNameCleaner::key(const std::string& cleanedTitle)
{
    return Poco::toLower(cleanedTitle);
}

} // namespace comfygate::presets
