#include "JwtCodec.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <iterator>
#include <optional>
#include <sstream>

namespace comfygate::auth {

namespace {

constexpr int base64UrlOptions = Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING;
constexpr std::size_t hs256Bytes = 32;

std::string encodeBase64Url(const std::string& data)
{
    std::ostringstream text;
    Poco::Base64Encoder encoder(text, base64UrlOptions);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return text.str();
}

/// Strict base64url: only the URL alphabet, no padding, no whitespace, and only the one
/// canonical spelling of each byte string (re-encoding must reproduce the input), so a
/// token has exactly one accepted form.
std::optional<std::string> decodeBase64Url(const std::string& text)
{
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return std::nullopt;
        }
    }
    std::string data;
    try {
        std::istringstream input(text);
        Poco::Base64Decoder decoder(input, base64UrlOptions);
        data.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    if (encodeBase64Url(data) != text) {
        return std::nullopt;
    }
    return data;
}

Poco::JSON::Object::Ptr parseObject(const std::string& json)
{
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var value = parser.parse(json);
        if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
            return value.extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    throw JwtError("malformed");
}

std::optional<std::string> stringMember(const Poco::JSON::Object& object, const std::string& name)
{
    if (!object.has(name)) {
        return std::nullopt;
    }
    const Poco::Dynamic::Var value = object.get(name);
    if (!value.isString()) {
        throw JwtError("malformed");
    }
    return value.extract<std::string>();
}

/// An integer claim (NumericDate); fractions, strings and out-of-range numbers are malformed.
std::optional<std::int64_t> integerMember(const Poco::JSON::Object& object,
                                          const std::string& name)
{
    if (!object.has(name)) {
        return std::nullopt;
    }
    const Poco::Dynamic::Var value = object.get(name);
    if (!value.isInteger() || value.isString()) {
        throw JwtError("malformed");
    }
    try {
        return value.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        throw JwtError("malformed");
    }
}

bool audienceMatches(const Poco::JSON::Object& payload, const std::string& audience)
{
    if (!payload.has("aud")) {
        return false;
    }
    const Poco::Dynamic::Var value = payload.get("aud");
    if (value.isString()) {
        return value.extract<std::string>() == audience;
    }
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto list = value.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Poco::Dynamic::Var entry = list->get(static_cast<unsigned>(i));
            if (entry.isString() && entry.extract<std::string>() == audience) {
                return true;
            }
        }
    }
    return false;
}

std::string stringify(const Poco::JSON::Object& object)
{
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

} // namespace

JwtError::JwtError(const std::string& reason)
    : std::runtime_error("JWT refused: " + reason), _reason(reason)
{
}

JwtCodec::JwtCodec(std::map<std::string, std::string> keysById, std::string currentKeyId,
                   std::string issuer, std::string audience, std::chrono::seconds leeway)
    : _keysById(std::move(keysById)),
      _currentKeyId(std::move(currentKeyId)),
      _issuer(std::move(issuer)),
      _audience(std::move(audience)),
      _leeway(leeway.count())
{
    for (const auto& [id, key] : _keysById) {
        if (id.empty()) {
            throw std::invalid_argument("JWT key ids must not be empty");
        }
        if (key.size() < minKeyBytes) {
            throw std::invalid_argument("JWT key '" + id + "' is shorter than 32 bytes (256 bits)");
        }
    }
    if (_keysById.count(_currentKeyId) == 0) {
        throw std::invalid_argument("the current JWT key id '" + _currentKeyId +
                                    "' is not in the key table");
    }
    if (_issuer.empty() || _audience.empty()) {
        throw std::invalid_argument("JWT issuer and audience must not be empty");
    }
    if (_leeway < 0 || _leeway > 60) {
        throw std::invalid_argument("JWT clock leeway must be between 0 and 60 seconds");
    }
}

std::string JwtCodec::sign(const Claims& claims) const
{
    if (claims.subject.empty() || claims.jti.empty()) {
        throw std::invalid_argument("a session JWT needs a subject and a jti");
    }
    if (claims.expiresAt <= claims.issuedAt) {
        throw std::invalid_argument("a session JWT must expire after it is issued");
    }
    Poco::JSON::Object header(Poco::JSON_PRESERVE_KEY_ORDER);
    header.set("alg", "HS256");
    header.set("typ", "JWT");
    header.set("kid", _currentKeyId);

    Poco::JSON::Object payload(Poco::JSON_PRESERVE_KEY_ORDER);
    payload.set("sub", claims.subject);
    payload.set("jti", claims.jti);
    payload.set("iat", static_cast<Poco::Int64>(claims.issuedAt));
    payload.set("nbf", static_cast<Poco::Int64>(claims.notBefore));
    payload.set("exp", static_cast<Poco::Int64>(claims.expiresAt));
    payload.set("iss", _issuer);
    payload.set("aud", _audience);
    payload.set("token_use", claims.type);
    if (!claims.sessionKind.empty()) {
        payload.set("session_kind", claims.sessionKind);
    }

    const std::string signingInput =
        encodeBase64Url(stringify(header)) + "." + encodeBase64Url(stringify(payload));
    return signingInput + "." +
           encodeBase64Url(mac(_keysById.at(_currentKeyId), signingInput));
}

JwtCodec::Claims JwtCodec::verify(const std::string& token, std::int64_t now) const
{
    if (token.empty() || token.size() > maxTokenBytes) {
        throw JwtError("malformed");
    }
    const auto firstDot = token.find('.');
    const auto secondDot =
        firstDot == std::string::npos ? std::string::npos : token.find('.', firstDot + 1);
    if (secondDot == std::string::npos || token.find('.', secondDot + 1) != std::string::npos ||
        firstDot == 0 || secondDot == firstDot + 1) {
        throw JwtError("malformed");
    }
    const std::string signingInput = token.substr(0, secondDot);
    const auto headerJson = decodeBase64Url(token.substr(0, firstDot));
    const auto payloadJson = decodeBase64Url(token.substr(firstDot + 1, secondDot - firstDot - 1));
    const auto signature = decodeBase64Url(token.substr(secondDot + 1));
    if (!headerJson || !payloadJson || !signature) {
        throw JwtError("malformed");
    }

    const Poco::JSON::Object::Ptr header = parseObject(*headerJson);
    if (!header->has("alg") || !header->get("alg").isString() ||
        header->get("alg").extract<std::string>() != "HS256") {
        throw JwtError("unsupported algorithm");
    }
    // RFC 7515 §4.1.11: extensions we do not implement must make the token invalid.
    if (header->has("crit")) {
        throw JwtError("malformed");
    }
    // jku, x5u, jwk and friends are ignored on purpose: keys come only from the table.
    const auto kid = header->has("kid") && header->get("kid").isString()
                         ? std::optional(header->get("kid").extract<std::string>())
                         : std::nullopt;
    const auto key = kid ? _keysById.find(*kid) : _keysById.end();
    if (key == _keysById.end()) {
        throw JwtError("unknown key");
    }
    const std::string expected = mac(key->second, signingInput);
    if (signature->size() != hs256Bytes ||
        CRYPTO_memcmp(expected.data(), signature->data(), hs256Bytes) != 0) {
        throw JwtError("bad signature");
    }

    const Poco::JSON::Object::Ptr payload = parseObject(*payloadJson);
    const auto expiresAt = integerMember(*payload, "exp");
    const auto notBefore = integerMember(*payload, "nbf");
    const auto issuedAt = integerMember(*payload, "iat");
    if (!expiresAt) {
        throw JwtError("missing exp");
    }
    if (now - _leeway >= *expiresAt) {
        throw JwtError("expired");
    }
    if (!issuedAt) {
        throw JwtError("malformed");
    }
    if ((notBefore && *notBefore > now + _leeway) || *issuedAt > now + _leeway) {
        throw JwtError("not yet valid");
    }
    if (stringMember(*payload, "iss") != _issuer) {
        throw JwtError("wrong issuer");
    }
    if (!audienceMatches(*payload, _audience)) {
        throw JwtError("wrong audience");
    }
    const auto jti = stringMember(*payload, "jti");
    if (!jti || jti->empty()) {
        throw JwtError("missing jti");
    }
    if (stringMember(*payload, "token_use") != std::optional<std::string>("session")) {
        throw JwtError("wrong type");
    }
    const auto subject = stringMember(*payload, "sub");
    if (!subject || subject->empty()) {
        throw JwtError("malformed");
    }

    Claims claims;
    claims.subject = *subject;
    claims.jti = *jti;
    claims.issuedAt = *issuedAt;
    claims.notBefore = notBefore.value_or(*issuedAt);
    claims.expiresAt = *expiresAt;
    claims.type = "session";
    claims.sessionKind = stringMember(*payload, "session_kind").value_or("");
    return claims;
}

std::string JwtCodec::mac(const std::string& key, const std::string& signingInput) const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size(),
              digest, &size) ||
        size != hs256Bytes) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(digest), size);
}

} // namespace comfygate::auth
