#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace comfygate::modeldownload {

/// The digests a transfer verifies, fed incrementally as bytes arrive: SHA-256 always, and
/// the git blob SHA-1 (`sha1("blob <size>\0" + content)`, the ETag Hugging Face gives small
/// regular files) when the size is known up front. Copyable, so a transfer can remember the
/// state at the start of a request and return to it when the response has to be discarded.
class FileDigest
{
public:
    /// `gitBlobSize` >= 0 also computes the git blob SHA-1 of a file of that size.
    explicit FileDigest(std::int64_t gitBlobSize = -1);
    ~FileDigest();
    FileDigest(const FileDigest& other);
    FileDigest& operator=(const FileDigest& other);

    void update(const void* data, std::size_t size);

    /// Lower-case hex of the bytes so far; the state stays usable.
    std::string sha256Hex() const;
    /// Lower-case hex; empty when not computed.
    std::string gitBlobSha1Hex() const;

    /// SHA-256 of a whole file (for tests and benchmarks); throws std::runtime_error.
    static std::string sha256OfFile(const std::string& path);

private:
    struct State;
    std::unique_ptr<State> _state;
};

} // namespace comfygate::modeldownload
