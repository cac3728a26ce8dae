#include "Totp.h"

#include "RandomTokens.h"

#include <Poco/Base32Decoder.h>
#include <Poco/Base32Encoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace comfygate::auth {

namespace {

constexpr std::size_t secretBytes = 20;
constexpr std::size_t maxSecretChars = 256;
// Everything outside the URI "unreserved" set is percent-encoded.
const std::string uriReserved = ":/?#[]@!$&'()*+,;=";

/// Upper-case base32 without padding or spaces; throws when any other character appears.
std::string normalizeSecret(const std::string& base32Secret)
{
    if (base32Secret.size() > maxSecretChars) {
        throw std::invalid_argument("TOTP secret too long");
    }
    std::string normalized;
    for (char c : base32Secret) {
        if (c == ' ' || c == '=') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) {
            throw std::invalid_argument("TOTP secret is not base32");
        }
        normalized += c;
    }
    if (normalized.empty()) {
        throw std::invalid_argument("TOTP secret is empty");
    }
    return normalized;
}

std::string decodeSecret(const std::string& base32Secret)
{
    std::string text = normalizeSecret(base32Secret);
    text.append((8 - text.size() % 8) % 8, '=');
    std::istringstream input(text);
    Poco::Base32Decoder decoder(input);
    std::string key;
    try {
        key.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        throw std::invalid_argument("TOTP secret is not base32");
    }
    if (key.empty()) {
        throw std::invalid_argument("TOTP secret is not base32");
    }
    return key;
}

std::string codeForKey(const std::string& key, std::int64_t step)
{
    std::array<unsigned char, 8> counter{};
    auto value = static_cast<std::uint64_t>(step);
    for (int i = 7; i >= 0; --i) {
        counter[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value & 0xff);
        value >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macSize = 0;
    if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), counter.data(),
              counter.size(), mac, &macSize) ||
        macSize != 20) {
        throw std::runtime_error("TOTP: HMAC-SHA1 failed");
    }
    // RFC 4226 §5.3 dynamic truncation.
    const unsigned offset = mac[19] & 0x0f;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::string code = std::to_string(binary % 1000000);
    code.insert(0, static_cast<std::size_t>(Totp::digits) - code.size(), '0');
    return code;
}

std::string percentEncoded(const std::string& text)
{
    std::string encoded;
    Poco::URI::encode(text, uriReserved, encoded);
    return encoded;
}

} // namespace

std::string Totp::generateSecret()
{
    std::ostringstream text;
    Poco::Base32Encoder encoder(text, false);
    encoder << RandomTokens::bytes(secretBytes);
    encoder.close();
    std::string secret = text.str();
    secret.erase(secret.find_last_not_of('=') + 1);
    return secret;
}

std::string Totp::provisioningUri(const std::string& issuer, const std::string& account,
                                  const std::string& base32Secret)
{
    const std::string secret = normalizeSecret(base32Secret);
    decodeSecret(secret);
    return "otpauth://totp/" + percentEncoded(issuer) + ":" + percentEncoded(account) +
           "?secret=" + secret + "&issuer=" + percentEncoded(issuer) +
           "&algorithm=SHA1&digits=6&period=30";
}

std::string Totp::code(const std::string& base32Secret, std::int64_t step)
{
    return codeForKey(decodeSecret(base32Secret), step);
}

std::int64_t Totp::stepAt(std::int64_t unixSeconds)
{
    std::int64_t step = unixSeconds / periodSeconds;
    if (unixSeconds % periodSeconds < 0) {
        --step;
    }
    return step;
}

std::optional<std::int64_t> Totp::match(const std::string& base32Secret, const std::string& code,
                                        std::int64_t unixSeconds, std::int64_t lastUsedStep)
{
    if (code.size() != static_cast<std::size_t>(digits)) {
        return std::nullopt;
    }
    for (char c : code) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    const std::string key = decodeSecret(base32Secret);
    const std::int64_t current = stepAt(unixSeconds);
    std::optional<std::int64_t> matched;
    for (std::int64_t step = current - 1; step <= current + 1; ++step) {
        if (RandomTokens::constantTimeEquals(codeForKey(key, step), code) && step > lastUsedStep) {
            matched = step;
        }
    }
    return matched;
}

} // namespace comfygate::auth
