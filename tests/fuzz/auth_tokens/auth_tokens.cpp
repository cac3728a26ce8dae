// Bearer credentials as a client sends them: session JWTs (JwtCodec::verify) and API tokens
// (ApiTokenCodec::wellFormed). A forged token never gets past the MAC, so the first input byte
// chooses between the raw input as a token and a token signed here with the codec's own key
// around fuzzed header and claims JSON (split at the first newline), which reaches the
// header and claim checks behind the MAC. Any exception but JwtError is a finding.
#include "ApiTokenCodec.h"
#include "JwtCodec.h"

#include <Poco/Base64Encoder.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

const std::string key(32, 'k');

const comfygate::auth::JwtCodec& codec()
{
    static const comfygate::auth::JwtCodec instance({{"k1", key}}, "k1", "comfygate", "comfygate");
    return instance;
}

std::string base64Url(const std::string& data)
{
    std::ostringstream text;
    Poco::Base64Encoder encoder(text, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return text.str();
}

std::string signedToken(const std::string& header, const std::string& claims)
{
    const std::string input = base64Url(header) + "." + base64Url(claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &length);
    return input + "." + base64Url(std::string(reinterpret_cast<const char*>(mac), length));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const bool sign = (data[0] & 1) != 0;
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string token = text;
    if (sign) {
        const auto newline = text.find('\n');
        token = signedToken(text.substr(0, newline), newline == std::string::npos ? "" : text.substr(newline + 1));
    }
    try {
        codec().verify(token, 1800000000);
    } catch (const comfygate::auth::JwtError&) {
    }
    if (comfygate::auth::ApiTokenCodec::wellFormed(text))
        comfygate::auth::ApiTokenCodec::hash(text);
    return 0;
}
