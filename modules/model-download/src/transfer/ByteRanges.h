#pragma once

#include <cstdint>
#include <vector>

namespace comfygate::modeldownload {

/// A half-open byte interval [begin, end).
struct ByteRange
{
    std::int64_t begin = 0;
    std::int64_t end = 0;

    std::int64_t length() const { return end - begin; }
    bool operator==(const ByteRange& other) const { return begin == other.begin && end == other.end; }
};

/// The parts of a file already written by a parallel transfer: sorted, merged, disjoint
/// intervals. What is missing is handed out again after a drop or a restart.
class ByteRanges
{
public:
    ByteRanges() = default;
    /// From any list (unsorted, overlapping, empty or inverted entries are tidied).
    explicit ByteRanges(const std::vector<ByteRange>& ranges);

    void add(ByteRange range);
    const std::vector<ByteRange>& list() const { return _ranges; }

    /// Bytes covered.
    std::int64_t covered() const;
    /// Length of the run that starts at byte 0 (what a sequential transfer may keep).
    std::int64_t prefix() const;
    /// The holes in [0, total), each cut into pieces of at most `chunk` bytes.
    std::vector<ByteRange> missing(std::int64_t total, std::int64_t chunk) const;

private:
    std::vector<ByteRange> _ranges;
};

} // namespace comfygate::modeldownload
