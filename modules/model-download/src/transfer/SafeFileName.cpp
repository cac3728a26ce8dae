#include "SafeFileName.h"

#include <stdexcept>

namespace comfygate::modeldownload {

namespace {

bool endsWith(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::string SafeFileName::problem(const std::string& name)
{
    if (name.empty())
        return "the file name is empty";
    if (name.size() > maxLength)
        return "the file name is longer than " + std::to_string(maxLength) + " bytes";
    if (name == "." || name == "..")
        return "the file name may not be . or ..";
    if (name.front() == '.')
        return "the file name may not start with a dot";
    for (const unsigned char c : name) {
        if (c == '/' || c == '\\')
            return "the file name may not contain a path separator";
        if (c < 0x20 || c == 0x7f)
            return "the file name may not contain control characters";
    }
    if (name.back() == ' ')
        return "the file name may not end with a space";
    if (endsWith(name, ".part") || endsWith(name, ".part.json"))
        return "the file name may not end with .part or .part.json";
    return {};
}

std::string SafeFileName::fromSource(const std::string& sourceName)
{
    const auto separator = sourceName.find_last_of("/\\");
    const std::string base = separator == std::string::npos ? sourceName : sourceName.substr(separator + 1);
    const std::string why = problem(base);
    if (!why.empty()) {
        std::string printable = base.substr(0, 80);
        for (char& c : printable) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                c = '?';
        }
        throw std::invalid_argument(why + ": \"" + printable + "\"");
    }
    return base;
}

} // namespace comfygate::modeldownload
