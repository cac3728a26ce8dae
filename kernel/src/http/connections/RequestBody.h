#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>

namespace comfygate {

/// Reads a request body up to a limit, without ever holding more than limit + one buffer.
class RequestBody
{
public:
    /// The whole body, or nothing when it is longer than `limit`.
    static std::optional<std::string> read(std::istream& in, std::size_t limit);
};

} // namespace comfygate
