#include "ApiTokenCodec.h"

#include "RandomTokens.h"

#include <Poco/Checksum.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace comfygate::auth {

namespace {

constexpr std::string_view alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t randomBytes = 32;

/// Big-endian `bytes` in base 62, left-padded with '0' to `width` characters.
std::string base62(std::vector<std::uint8_t> bytes, std::size_t width)
{
    std::string digits;
    while (std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b != 0; })) {
        unsigned remainder = 0;
        for (auto& byte : bytes) {
            const unsigned value = remainder * 256 + byte;
            byte = static_cast<std::uint8_t>(value / 62);
            remainder = value % 62;
        }
        digits += alphabet[remainder];
    }
    digits.append(width > digits.size() ? width - digits.size() : 0, '0');
    std::reverse(digits.begin(), digits.end());
    return digits;
}

std::string checksumOf(const std::string& randomPart)
{
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(randomPart);
    const Poco::UInt32 value = crc.checksum();
    return base62({static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                   static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)},
                  ApiTokenCodec::checksumChars);
}

} // namespace

std::string ApiTokenCodec::generate()
{
    const std::string raw = RandomTokens::bytes(randomBytes);
    const std::string randomPart = base62(std::vector<std::uint8_t>(raw.begin(), raw.end()),
                                          randomChars);
    return prefix + randomPart + checksumOf(randomPart);
}

bool ApiTokenCodec::wellFormed(const std::string& token)
{
    const std::string_view start(prefix);
    if (token.size() != tokenLength || token.compare(0, start.size(), start) != 0) {
        return false;
    }
    const auto body = std::string_view(token).substr(start.size());
    // The alphabet is exactly ASCII's digits and letters; a range test per character instead of
    // find_first_not_of's scan of all 62 for each (every API-token request checks this).
    const auto inAlphabet = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    };
    if (!std::all_of(body.begin(), body.end(), inAlphabet)) {
        return false;
    }
    const std::string randomPart(body.substr(0, randomChars));
    return checksumOf(randomPart) == body.substr(randomChars);
}

std::string ApiTokenCodec::hash(const std::string& token)
{
    return RandomTokens::sha256Hex(token);
}

std::string ApiTokenCodec::displayPrefix(const std::string& hash)
{
    return hash.substr(0, 12);
}

} // namespace comfygate::auth
