#include "ModelItemName.h"

#include <cctype>
#include <stdexcept>

namespace comfygate::comfyproxy {

void ModelItemName::validateFolder(const std::string& folder)
{
    if (folder.empty() || folder.size() > 64 || folder == "." || folder == "..")
        throw std::invalid_argument("folder must be a model folder name such as \"checkpoints\"");
    for (const unsigned char c : folder) {
        if (!std::isalnum(c) && c != '_' && c != '-' && c != '.')
            throw std::invalid_argument("folder may only hold letters, digits, '_', '-' and '.'");
    }
}

void ModelItemName::validateItem(const std::string& item)
{
    if (item.empty() || item.size() > 512)
        throw std::invalid_argument("item_name must be 1 to 512 characters");
    if (item.front() == '/')
        throw std::invalid_argument("item_name must be relative to the model folder");
    std::size_t start = 0;
    while (start <= item.size()) {
        const std::size_t end = std::min(item.find('/', start), item.size());
        const std::string segment = item.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..")
            throw std::invalid_argument("item_name may not contain empty, '.' or '..' path segments");
        start = end + 1;
    }
    for (const unsigned char c : item) {
        if (c < 0x20 || c == 0x7f || c == '\\')
            throw std::invalid_argument("item_name may not contain backslashes or control characters");
    }
}

bool ModelItemName::matches(const std::string& pattern, const std::string& item)
{
    // Iterative glob with one backtrack point: linear in practice, no recursion to exhaust.
    std::size_t p = 0, i = 0, star = std::string::npos, resume = 0;
    while (i < item.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = i;
        } else if (p < pattern.size() && pattern[p] == item[i]) {
            ++p;
            ++i;
        } else if (star != std::string::npos) {
            p = star + 1;
            i = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

} // namespace comfygate::comfyproxy
