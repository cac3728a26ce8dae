#include "HistoryPage.h"

#include "comfygate/HttpError.h"

#include <Poco/NumberParser.h>

#include <algorithm>

namespace comfygate::comfyproxy {
namespace {

std::optional<int> wholeNumber(const std::optional<std::string>& text, const char* name)
{
    if (!text)
        return std::nullopt;
    int value = 0;
    if (!Poco::NumberParser::tryParse(*text, value))
        throw HttpError(400, std::string(name) + " must be a whole number");
    return value;
}

} // namespace

HistoryPage HistoryPage::fromQuery(const std::optional<std::string>& maxItems, const std::optional<std::string>& offset)
{
    return HistoryPage(wholeNumber(maxItems, "max_items"), wholeNumber(offset, "offset"));
}

std::pair<std::size_t, std::size_t> HistoryPage::range(std::size_t total) const
{
    if (!_maxItems || *_maxItems < 0)
        return {0, total};
    const auto count = static_cast<std::size_t>(*_maxItems);
    if (_offset && *_offset >= 0) {
        const std::size_t begin = std::min(static_cast<std::size_t>(*_offset), total);
        return {begin, std::min(total, begin + count)};
    }
    return {total > count ? total - count : 0, total}; // the last N
}

} // namespace comfygate::comfyproxy
