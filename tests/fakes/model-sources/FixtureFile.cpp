#include "FixtureFile.h"

#include <Poco/Checksum.h>

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace comfygate::fakes {

namespace {

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::string toHex(const unsigned char* data, std::size_t length)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex(length * 2, '0');
    for (std::size_t i = 0; i < length; ++i) {
        hex[2 * i] = digits[data[i] >> 4];
        hex[2 * i + 1] = digits[data[i] & 0xF];
    }
    return hex;
}

/// An EVP digest context that owns itself.
class Digest
{
public:
    explicit Digest(const EVP_MD* type) : _context(EVP_MD_CTX_new(), EVP_MD_CTX_free)
    {
        if (!_context || EVP_DigestInit_ex(_context.get(), type, nullptr) != 1)
            throw std::runtime_error("EVP digest init failed");
    }
    void update(const char* data, std::size_t length) { EVP_DigestUpdate(_context.get(), data, length); }
    std::string hex()
    {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(_context.get(), out, &length);
        return toHex(out, length);
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> _context;
};

/// The safetensors prefix for a file of `total` bytes: one U8 tensor fills the rest.
std::string safetensorsHeader(std::uint64_t total, std::uint64_t seed)
{
    std::size_t jsonLength = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
        if (total < 8 + jsonLength)
            break;
        const std::uint64_t tensorBytes = total - 8 - jsonLength;
        std::string json = R"({"__metadata__":{"format":"pt","fake_seed":")" + std::to_string(seed) +
                           R"("},"weight":{"dtype":"U8","shape":[)" + std::to_string(tensorBytes) +
                           R"(],"data_offsets":[0,)" + std::to_string(tensorBytes) + "]}}";
        while ((8 + json.size()) % 8 != 0)
            json += ' ';
        if (json.size() == jsonLength) {
            std::string header(8, '\0');
            for (int i = 0; i < 8; ++i)
                header[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
            return header + json;
        }
        jsonLength = json.size();
    }
    throw std::invalid_argument("size too small for a safetensors header");
}

} // namespace

FixtureFile::FixtureFile(FileSpec spec) : _spec(std::move(spec))
{
    if (_spec.key.empty())
        throw std::invalid_argument("file key is empty");
    if (_spec.name.empty())
        _spec.name = _spec.key;
    _size = _spec.size;
    if (_spec.kind == ContentKind::Bytes && _size == 0)
        _size = _spec.bytes.size();
    if (_spec.kind == ContentKind::Bytes && _spec.bytes.empty() && _size > 0)
        throw std::invalid_argument("bytes content is empty");
    if (_spec.kind == ContentKind::Safetensors)
        _header = safetensorsHeader(_size, _spec.seed);
    _spec.size = _size;
    computeHashes();
}

void FixtureFile::read(std::uint64_t offset, char* out, std::size_t length) const
{
    switch (_spec.kind) {
    case ContentKind::Bytes:
        for (std::size_t i = 0; i < length; ++i)
            out[i] = _spec.bytes[(offset + i) % _spec.bytes.size()];
        return;
    case ContentKind::Safetensors: {
        std::size_t done = 0;
        if (offset < _header.size()) {
            done = std::min<std::size_t>(length, _header.size() - offset);
            std::copy_n(_header.data() + offset, done, out);
        }
        std::fill(out + done, out + length, '\0');
        return;
    }
    case ContentKind::Prng: {
        const std::uint64_t base = _spec.seed * 0xD1B54A32D192ED03ULL;
        std::size_t done = 0;
        while (done < length) {
            const std::uint64_t position = offset + done;
            const std::uint64_t word = splitmix64(base + position / 8);
            const unsigned skip = static_cast<unsigned>(position % 8);
            const std::size_t take = std::min<std::size_t>(8 - skip, length - done);
            if constexpr (std::endian::native == std::endian::little) {
                if (take == 8) {
                    std::memcpy(out + done, &word, 8);
                    done += 8;
                    continue;
                }
            }
            // Bytes of a word are taken in little-endian order, whatever the host.
            unsigned char bytes[8];
            for (unsigned i = 0; i < 8; ++i)
                bytes[i] = static_cast<unsigned char>(word >> (8 * i));
            std::memcpy(out + done, bytes + skip, take);
            done += take;
        }
        return;
    }
    }
}

std::string FixtureFile::contentForTests() const
{
    std::string content(_size, '\0');
    read(0, content.data(), content.size());
    return content;
}

void FixtureFile::computeHashes()
{
    Digest sha256(EVP_sha256());
    Digest sha1(EVP_sha1());
    Digest tensorSha256(EVP_sha256());
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    const std::string blobHeader = "blob " + std::to_string(_size) + std::string(1, '\0');
    sha1.update(blobHeader.data(), blobHeader.size());

    std::vector<char> buffer(1 << 20);
    for (std::uint64_t offset = 0; offset < _size;) {
        const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), _size - offset));
        read(offset, buffer.data(), length);
        sha256.update(buffer.data(), length);
        sha1.update(buffer.data(), length);
        crc.update(buffer.data(), static_cast<unsigned>(length));
        if (!_header.empty() && offset + length > _header.size()) {
            const std::size_t skip = offset < _header.size() ? _header.size() - offset : 0;
            tensorSha256.update(buffer.data() + skip, length - skip);
        }
        offset += length;
    }
    _hashes.sha256 = sha256.hex();
    _hashes.sha1Git = sha1.hex();
    char crcHex[9];
    std::snprintf(crcHex, sizeof crcHex, "%08x", crc.checksum());
    _hashes.crc32 = crcHex;
    _hashes.autoV2 = _hashes.sha256.substr(0, 10);
    _hashes.md5Like = _hashes.sha256.substr(0, 32);
    if (!_header.empty())
        _hashes.autoV3 = tensorSha256.hex().substr(0, 12);

    Digest legacy(EVP_sha256());
    constexpr std::uint64_t legacyOffset = 0x100000, legacyLength = 0x10000;
    if (_size > legacyOffset) {
        const std::size_t length = static_cast<std::size_t>(std::min(legacyLength, _size - legacyOffset));
        read(legacyOffset, buffer.data(), length);
        legacy.update(buffer.data(), length);
    }
    _hashes.autoV1 = legacy.hex().substr(0, 8);
}

} // namespace comfygate::fakes
