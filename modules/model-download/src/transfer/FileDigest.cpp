#include "FileDigest.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>
#include <vector>

namespace comfygate::modeldownload {

namespace {

using Context = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Context newContext(const EVP_MD* algorithm)
{
    Context context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), algorithm, nullptr) != 1)
        throw std::bad_alloc();
    return context;
}

Context copyContext(const EVP_MD_CTX* source)
{
    Context context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_MD_CTX_copy_ex(context.get(), source) != 1)
        throw std::bad_alloc();
    return context;
}

std::string finalHex(const EVP_MD_CTX* context)
{
    const Context copy = copyContext(context);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(copy.get(), digest, &length) != 1)
        throw std::runtime_error("digest failed");
    static const char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0x0f];
    }
    return text;
}

} // namespace

struct FileDigest::State
{
    Context sha256{nullptr, &EVP_MD_CTX_free};
    Context gitSha1{nullptr, &EVP_MD_CTX_free};
};

FileDigest::FileDigest(std::int64_t gitBlobSize) : _state(std::make_unique<State>())
{
    _state->sha256 = newContext(EVP_sha256());
    if (gitBlobSize >= 0) {
        _state->gitSha1 = newContext(EVP_sha1());
        const std::string header = "blob " + std::to_string(gitBlobSize);
        EVP_DigestUpdate(_state->gitSha1.get(), header.c_str(), header.size() + 1); // with the NUL
    }
}

FileDigest::~FileDigest() = default;

FileDigest::FileDigest(const FileDigest& other) : _state(std::make_unique<State>())
{
    *this = other;
}

FileDigest& FileDigest::operator=(const FileDigest& other)
{
    if (this == &other)
        return *this;
    _state->sha256 = copyContext(other._state->sha256.get());
    _state->gitSha1 =
        other._state->gitSha1 ? copyContext(other._state->gitSha1.get()) : Context(nullptr, &EVP_MD_CTX_free);
    return *this;
}

void FileDigest::update(const void* data, std::size_t size)
{
    EVP_DigestUpdate(_state->sha256.get(), data, size);
    if (_state->gitSha1)
        EVP_DigestUpdate(_state->gitSha1.get(), data, size);
}

std::string FileDigest::sha256Hex() const
{
    return finalHex(_state->sha256.get());
}

std::string FileDigest::gitBlobSha1Hex() const
{
    return _state->gitSha1 ? finalHex(_state->gitSha1.get()) : std::string();
}

std::string FileDigest::sha256OfFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    FileDigest digest;
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        digest.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    return digest.sha256Hex();
}

} // namespace comfygate::modeldownload
