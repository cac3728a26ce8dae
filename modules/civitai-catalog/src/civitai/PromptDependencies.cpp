#include "PromptDependencies.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace comfygate::civitaicatalog {

namespace {

struct TagSpan
{
    std::size_t begin = 0;
    std::size_t end = 0; ///< one past the closing '>'
    LoraTag tag;
};

std::vector<std::string> splitColons(const std::string& text)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto colon = text.find(':', start);
        parts.push_back(Poco::trim(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start)));
        if (colon == std::string::npos)
            return parts;
        start = colon + 1;
    }
}

std::optional<double> number(const std::string& text)
{
    double value = 0;
    if (text.empty() || !Poco::NumberParser::tryParseFloat(text, value))
        return std::nullopt;
    return value;
}

/// The tag whose '<' is at `open`, when the text there is a well-formed LoRA tag.
std::optional<TagSpan> tagAt(const std::string& prompt, std::size_t open)
{
    const auto close = prompt.find('>', open + 1);
    if (close == std::string::npos)
        return std::nullopt;
    const std::string inner = prompt.substr(open + 1, close - open - 1);
    if (inner.find('<') != std::string::npos)
        return std::nullopt;
    const auto parts = splitColons(inner);
    if (parts.size() < 2 || Poco::toLower(parts[0]) != "lora" || parts[1].empty())
        return std::nullopt;
    TagSpan span{open, close + 1, {parts[1], 1.0}};
    for (std::size_t i = 2; i < parts.size(); ++i) {
        const auto value = number(parts[i]);
        if (!value)
            return std::nullopt;
        if (i == 2)
            span.tag.weight = *value;
    }
    return span;
}

std::vector<TagSpan> tagSpans(const std::string& prompt)
{
    std::vector<TagSpan> spans;
    std::size_t position = 0;
    while ((position = prompt.find('<', position)) != std::string::npos) {
        if (const auto span = tagAt(prompt, position)) {
            spans.push_back(*span);
            position = span->end;
        } else {
            ++position;
        }
    }
    return spans;
}

bool isSpace(char c)
{
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

} // namespace

std::vector<LoraTag> PromptDependencies::loraTags(const std::string& prompt)
{
    std::vector<LoraTag> tags;
    for (const auto& span : tagSpans(prompt))
        tags.push_back(span.tag);
    return tags;
}

std::string PromptDependencies::cleanPrompt(const std::string& prompt)
{
    std::string withoutTags;
    std::size_t copied = 0;
    for (const auto& span : tagSpans(prompt)) {
        withoutTags += prompt.substr(copied, span.begin - copied) + " ";
        copied = span.end;
    }
    withoutTags += prompt.substr(copied);

    // Split on commas, tidy each item, drop the empty ones, join with ", ".
    std::string clean;
    std::size_t start = 0;
    while (start <= withoutTags.size()) {
        auto comma = withoutTags.find(',', start);
        if (comma == std::string::npos)
            comma = withoutTags.size();
        std::string item;
        for (std::size_t i = start; i < comma; ++i) {
            if (isSpace(withoutTags[i])) {
                if (!item.empty() && item.back() != ' ')
                    item += ' ';
            } else {
                item += withoutTags[i];
            }
        }
        if (!item.empty() && item.back() == ' ')
            item.pop_back();
        if (!item.empty())
            clean += (clean.empty() ? "" : ", ") + item;
        start = comma + 1;
    }
    return clean;
}

std::vector<std::string> PromptDependencies::negativeEmbeddings(const std::string& negativePrompt)
{
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= negativePrompt.size()) {
        auto end = negativePrompt.find('\n', start);
        if (end == std::string::npos)
            end = negativePrompt.size();
        std::string line = Poco::trim(negativePrompt.substr(start, end - start));
        start = end + 1;
        while (!line.empty() && (line.back() == ',' || isSpace(line.back())))
            line.pop_back();
        if (Poco::icompare(line.substr(0, 10), "embedding:") == 0)
            line = line.substr(10);
        const bool oneToken = !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        });
        const bool hasLetter =
            std::any_of(line.begin(), line.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
        if (oneToken && hasLetter && std::find(names.begin(), names.end(), line) == names.end())
            names.push_back(line);
    }
    return names;
}

} // namespace comfygate::civitaicatalog
