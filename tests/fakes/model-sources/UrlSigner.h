#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::fakes {

/// Signs storage/CDN URLs with HMAC-SHA256 under a per-instance random key and remembers when
/// each signature was issued (with millisecond precision, for the `expire_after_s` fault).
class UrlSigner
{
public:
    UrlSigner();
    /// A new id for each signed URL, so that two URLs issued in the same second differ
    /// (and one expiring does not revive or kill the other).
    std::string nextUrlId();
    /// Lower-case hex HMAC of `canonical`; records the issue time.
    std::string sign(const std::string& canonical);
    /// Constant-time comparison against the HMAC of `canonical`.
    bool verify(const std::string& canonical, const std::string& signature) const;
    /// Seconds since `signature` was issued by this signer; nothing for unknown signatures.
    std::optional<double> ageSeconds(const std::string& signature) const;

private:
    std::string hmac(const std::string& canonical) const;

    std::string _key;
    std::atomic<std::uint64_t> _nextId{1};
    mutable std::mutex _mutex;
    std::map<std::string, std::chrono::steady_clock::time_point> _issued;
};

/// A parsed `Range` header against a resource of `size` bytes.
struct ByteRange
{
    enum class Kind
    {
        None,         ///< no header, a malformed one, or several ranges: serve the whole body
        Satisfiable,  ///< serve [first, last]
        Unsatisfiable ///< 416
    };
    Kind kind = Kind::None;
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    /// Understands `bytes=a-b`, `bytes=a-` and `bytes=-n`.
    static ByteRange parse(const std::string& header, std::uint64_t size);
    std::uint64_t length() const { return last - first + 1; }
};

} // namespace comfygate::fakes
