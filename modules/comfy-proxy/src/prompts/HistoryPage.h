#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// ComfyUI's paging of GET /history (`max_items`, `offset`), applied to the caller's own
/// list: with `max_items` N and `offset` M ≥ 0 the items M..M+N-1, with `max_items` alone the
/// last N, otherwise every item.
class HistoryPage
{
public:
    /// From the query values; HttpError(400) when one is not a whole number.
    static HistoryPage fromQuery(const std::optional<std::string>& maxItems, const std::optional<std::string>& offset);

    HistoryPage() = default;
    HistoryPage(std::optional<int> maxItems, std::optional<int> offset) : _maxItems(maxItems), _offset(offset) {}

    /// The half-open range [first, second) of a list of `total` items that the page shows.
    std::pair<std::size_t, std::size_t> range(std::size_t total) const;

private:
    std::optional<int> _maxItems;
    std::optional<int> _offset;
};

} // namespace comfygate::comfyproxy
