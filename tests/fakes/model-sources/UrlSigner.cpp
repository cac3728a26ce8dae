#include "UrlSigner.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

namespace comfygate::fakes {

UrlSigner::UrlSigner() : _key(32, '\0')
{
    if (RAND_bytes(reinterpret_cast<unsigned char*>(_key.data()), static_cast<int>(_key.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
}

std::string UrlSigner::hmac(const std::string& canonical) const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), _key.data(), static_cast<int>(_key.size()),
         reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest, &length);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0xF];
    }
    return hex;
}

std::string UrlSigner::nextUrlId()
{
    return std::to_string(_nextId++);
}

std::string UrlSigner::sign(const std::string& canonical)
{
    std::string signature = hmac(canonical);
    std::lock_guard lock(_mutex);
    _issued[signature] = std::chrono::steady_clock::now();
    return signature;
}

bool UrlSigner::verify(const std::string& canonical, const std::string& signature) const
{
    const std::string expected = hmac(canonical);
    return signature.size() == expected.size() &&
           CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

std::optional<double> UrlSigner::ageSeconds(const std::string& signature) const
{
    std::lock_guard lock(_mutex);
    const auto found = _issued.find(signature);
    if (found == _issued.end())
        return std::nullopt;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - found->second).count();
}

namespace {

bool parseNumber(const std::string& text, std::uint64_t& value)
{
    if (text.empty() || text.size() > 19)
        return false;
    value = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

} // namespace

ByteRange ByteRange::parse(const std::string& header, std::uint64_t size)
{
    ByteRange range;
    const std::string prefix = "bytes=";
    if (header.compare(0, prefix.size(), prefix) != 0)
        return range;
    const std::string spec = header.substr(prefix.size());
    const auto dash = spec.find('-');
    if (dash == std::string::npos || spec.find(',') != std::string::npos)
        return range;
    const std::string from = spec.substr(0, dash), to = spec.substr(dash + 1);
    std::uint64_t a = 0, b = 0;
    if (from.empty()) {
        if (!parseNumber(to, b))
            return range;
        if (b == 0 || size == 0)
            return {Kind::Unsatisfiable, 0, 0};
        return {Kind::Satisfiable, b >= size ? 0 : size - b, size - 1};
    }
    if (!parseNumber(from, a))
        return range;
    if (!to.empty() && (!parseNumber(to, b) || b < a))
        return range;
    if (a >= size)
        return {Kind::Unsatisfiable, 0, 0};
    return {Kind::Satisfiable, a, to.empty() || b >= size ? size - 1 : b};
}

} // namespace comfygate::fakes
