#include "RandomTokens.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>

namespace comfygate::auth {

namespace {

constexpr std::size_t maxRandomBytes = 1 << 20;

std::string toHex(const unsigned char* data, std::size_t size)
{
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(data, data + size));
}

} // namespace

std::string RandomTokens::bytes(std::size_t n)
{
    if (n > maxRandomBytes) {
        throw std::invalid_argument("RandomTokens: at most 1 MiB of random bytes per call");
    }
    std::string buffer(n, '\0');
    if (n > 0 &&
        RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RandomTokens: the CSPRNG (RAND_bytes) failed");
    }
    return buffer;
}

std::string RandomTokens::hex(std::size_t nBytes)
{
    const std::string raw = bytes(nBytes);
    return toHex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string RandomTokens::base64Url(std::size_t nBytes)
{
    std::ostringstream text;
    Poco::Base64Encoder encoder(text, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes(nBytes);
    encoder.close();
    return text.str();
}

std::string RandomTokens::sha256Hex(const std::string& text)
{
    // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its provider table
    // on every digest (a third of the cost of hashing a token on each API-token request).
    // Kept for the life of the process.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!sha256 || EVP_Digest(text.data(), text.size(), digest, &size, sha256, nullptr) != 1) {
        throw std::runtime_error("RandomTokens: SHA-256 failed");
    }
    return toHex(digest, size);
}

bool RandomTokens::constantTimeEquals(const std::string& a, const std::string& b)
{
    if (a.size() != b.size()) {
        // Still touch every byte of `a`, so a length mismatch costs what a content
        // mismatch costs.
        CRYPTO_memcmp(a.data(), a.data(), a.size());
        return false;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace comfygate::auth
