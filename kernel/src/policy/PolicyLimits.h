#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace comfygate {

/// What one policy call (or the top level of one script while it loads) may consume.
/// Exceeding any limit stops the Lua code with an error that carries file:line.
struct PolicyLimits
{
    /// Lua VM instructions per call, counted with a count hook (granularity 1,000).
    std::uint64_t instructionsPerCall = 5'000'000;
    /// Wall-clock time per call; checked by the same hook, so time spent inside one long
    /// C library function (e.g. a pathological string pattern) is only noticed afterwards.
    std::chrono::milliseconds deadlinePerCall{100};
    /// Wall-clock time per call of the asynchronous `event` hook, which runs on a background
    /// worker and may wait on policy.http.
    std::chrono::milliseconds eventDeadline{10000};
    /// Bytes one lua_State may hold, enforced by its allocator.
    std::size_t memoryPerState = 32 * 1024 * 1024;
};

} // namespace comfygate
