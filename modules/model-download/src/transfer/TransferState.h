#pragma once

#include "ByteRanges.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::modeldownload {

struct ResolvedFile;

/// The small JSON file beside a `.part` (`<name>.part.json`) that says what the partial
/// bytes are: which file (pin, download URL, expected size and SHA-256) and the storage
/// ETag they came with, so a restarted process resumes only the same file and asks for the
/// rest with `If-Range`. It never holds a key or a signed URL.
struct TransferState
{
    std::string url;
    std::string pin;
    std::int64_t size = -1;
    std::string sha256;
    std::string gitBlobSha1;
    std::string etag;       ///< strong ETag of the stored bytes; empty when unknown or weak
    std::int64_t bytes = 0; ///< bytes in the .part when last saved (informational)

    /// A parallel transfer: the `.part` has the full size (`total`) and only `ranges` hold
    /// bytes of the file; a resume fetches the rest. Sequential transfers keep a prefix.
    bool parallel = false;
    std::int64_t total = -1;       ///< the server's size of the file (parallel only)
    std::vector<ByteRange> ranges; ///< completed intervals (parallel only)

    /// The state a fresh transfer of `file` starts with.
    static TransferState describing(const ResolvedFile& file);

    /// True when the saved partial bytes belong to `file`: the same content hash and size
    /// when the source names a hash (the URL may differ: a fresh signed link), else the same
    /// URL, pin and size.
    bool sameFileAs(const ResolvedFile& file) const;

    /// Nothing when the file is missing or unreadable (an unusable state means: start over).
    static std::optional<TransferState> load(const std::filesystem::path& path);

    /// Writes atomically: temp file, fsync, rename, fsync of the directory. Throws
    /// std::runtime_error naming the path and the system error.
    void save(const std::filesystem::path& path) const;
};

} // namespace comfygate::modeldownload
