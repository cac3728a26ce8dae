#include "ByteRanges.h"

#include <algorithm>

namespace comfygate::modeldownload {

ByteRanges::ByteRanges(const std::vector<ByteRange>& ranges)
{
    for (const auto& range : ranges)
        add(range);
}

void ByteRanges::add(ByteRange range)
{
    if (range.begin < 0 || range.end <= range.begin)
        return;
    std::vector<ByteRange> merged;
    merged.reserve(_ranges.size() + 1);
    bool placed = false;
    for (const auto& existing : _ranges) {
        if (existing.end < range.begin) {
            merged.push_back(existing);
        } else if (range.end < existing.begin) {
            if (!placed) {
                merged.push_back(range);
                placed = true;
            }
            merged.push_back(existing);
        } else { // touching or overlapping: absorb
            range.begin = std::min(range.begin, existing.begin);
            range.end = std::max(range.end, existing.end);
        }
    }
    if (!placed)
        merged.push_back(range);
    _ranges.swap(merged);
}

std::int64_t ByteRanges::covered() const
{
    std::int64_t total = 0;
    for (const auto& range : _ranges)
        total += range.length();
    return total;
}

std::int64_t ByteRanges::prefix() const
{
    return !_ranges.empty() && _ranges.front().begin == 0 ? _ranges.front().end : 0;
}

std::vector<ByteRange> ByteRanges::missing(std::int64_t total, std::int64_t chunk) const
{
    std::vector<ByteRange> holes;
    const auto cut = [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t at = begin; at < end; at += chunk)
            holes.push_back({at, std::min(end, at + chunk)});
    };
    std::int64_t at = 0;
    for (const auto& range : _ranges) {
        if (range.begin >= total)
            break;
        if (range.begin > at)
            cut(at, range.begin);
        at = std::max(at, range.end);
    }
    if (at < total)
        cut(at, total);
    return holes;
}

} // namespace comfygate::modeldownload
