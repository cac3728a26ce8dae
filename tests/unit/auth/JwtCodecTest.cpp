#include "JwtCodec.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <cppunit/extensions/HelperMacros.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <iterator>
#include <sstream>

using comfygate::auth::JwtCodec;
using comfygate::auth::JwtError;
using namespace std::chrono_literals;

namespace {

const std::string key1(32, 'k');
const std::string key2 = "a different 32+ byte secret key for kid k2";
const std::int64_t now = 1700000000;

std::string b64url(const std::string& data)
{
    std::ostringstream text;
    Poco::Base64Encoder encoder(text, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return text.str();
}

std::string unb64url(const std::string& text)
{
    std::istringstream input(text);
    Poco::Base64Decoder decoder(input, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
    return std::string(reinterpret_cast<const char*>(out), size);
}

/// A token built independently of JwtCodec from raw JSON.
std::string craft(const std::string& header, const std::string& payload,
                  const std::string& key = key1, const EVP_MD* md = EVP_sha256())
{
    const std::string input = b64url(header) + "." + b64url(payload);
    return input + "." + b64url(hmac(md, key, input));
}

const std::string goodHeader = R"({"alg":"HS256","typ":"JWT","kid":"k1"})";

std::string payload(const std::string& overrides = "", const std::string& without = "")
{
    std::string fields[][2] = {
        {"sub", R"("alice")"},
        {"jti", R"("j-1")"},
        {"iat", std::to_string(now - 10)},
        {"nbf", std::to_string(now - 10)},
        {"exp", std::to_string(now + 3600)},
        {"iss", R"("comfygate")"},
        {"aud", R"("comfygate-web")"},
        {"token_use", R"("session")"},
    };
    std::string json = "{";
    for (auto& [name, value] : fields) {
        if (name == without) {
            continue;
        }
        json += "\"" + name + "\":" + value + ",";
    }
    json += overrides.empty() ? "" : overrides + ",";
    json.back() = '}';
    return json;
}

JwtCodec codec(std::map<std::string, std::string> keys = {{"k1", key1}},
               const std::string& current = "k1")
{
    return JwtCodec(std::move(keys), current, "comfygate", "comfygate-web", 60s);
}

JwtCodec::Claims claims()
{
    JwtCodec::Claims c;
    c.subject = "alice";
    c.jti = "0f3a-jti";
    c.issuedAt = now;
    c.notBefore = now;
    c.expiresAt = now + 3600;
    c.sessionKind = "web";
    return c;
}

std::string refusal(const JwtCodec& verifier, const std::string& token, std::int64_t at = now)
{
    try {
        verifier.verify(token, at);
    } catch (const JwtError& error) {
        return error.reason();
    }
    return "accepted";
}

} // namespace

class JwtCodecTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(JwtCodecTest);
    CPPUNIT_TEST(signedTokensRoundTrip);
    CPPUNIT_TEST(handCraftedValidTokenIsAccepted);
    CPPUNIT_TEST(algorithmsOtherThanHs256AreRefused);
    CPPUNIT_TEST(keysComeOnlyFromTheTable);
    CPPUNIT_TEST(signatureIsCheckedBeforeClaims);
    CPPUNIT_TEST(timeClaimsAreEnforcedWithLeeway);
    CPPUNIT_TEST(issuerAudienceJtiAndTypeAreEnforced);
    CPPUNIT_TEST(structuralGarbageIsMalformed);
    CPPUNIT_TEST(keyRotationVerifiesOldKidsAndSignsWithNew);
    CPPUNIT_TEST(constructorAndSignRefuseWeakInput);
    CPPUNIT_TEST_SUITE_END();

public:
    void signedTokensRoundTrip()
    {
        const JwtCodec jwt = codec();
        const std::string token = jwt.sign(claims());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"alg":"HS256","typ":"JWT","kid":"k1"})"),
                             unb64url(token.substr(0, token.find('.'))));
        const std::string body =
            unb64url(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
        CPPUNIT_ASSERT(body.find(R"("token_use":"session")") != std::string::npos);
        CPPUNIT_ASSERT(body.find(R"("aud":"comfygate-web")") != std::string::npos);
        CPPUNIT_ASSERT(body.find(R"("exp":1700003600)") != std::string::npos);

        const JwtCodec::Claims read = jwt.verify(token, now + 5);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), read.subject);
        CPPUNIT_ASSERT_EQUAL(std::string("0f3a-jti"), read.jti);
        CPPUNIT_ASSERT_EQUAL(now, read.issuedAt);
        CPPUNIT_ASSERT_EQUAL(now, read.notBefore);
        CPPUNIT_ASSERT_EQUAL(now + 3600, read.expiresAt);
        CPPUNIT_ASSERT_EQUAL(std::string("session"), read.type);
        CPPUNIT_ASSERT_EQUAL(std::string("web"), read.sessionKind);
        // The signature is HMAC-SHA256 over header.payload with the current key.
        const std::string input = token.substr(0, token.rfind('.'));
        CPPUNIT_ASSERT_EQUAL(b64url(hmac(EVP_sha256(), key1, input)),
                             token.substr(token.rfind('.') + 1));
    }

    void handCraftedValidTokenIsAccepted()
    {
        const JwtCodec jwt = codec();
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(jwt, craft(goodHeader, payload())));
        // aud as an array containing ours; unknown headers such as jku are ignored.
        CPPUNIT_ASSERT_EQUAL(
            std::string("accepted"),
            refusal(jwt, craft(R"({"alg":"HS256","kid":"k1","jku":"https://evil.example/k"})",
                               payload(R"("aud":["other","comfygate-web"])", "aud"))));
        // nbf is optional and defaults to iat.
        const auto read = jwt.verify(craft(goodHeader, payload("", "nbf")), now);
        CPPUNIT_ASSERT_EQUAL(now - 10, read.notBefore);
    }

    void algorithmsOtherThanHs256AreRefused()
    {
        const JwtCodec jwt = codec();
        const std::string body = b64url(payload());
        const std::string unsupported = "unsupported algorithm";
        CPPUNIT_ASSERT_EQUAL(
            unsupported, refusal(jwt, b64url(R"({"alg":"none","typ":"JWT"})") + "." + body + "."));
        CPPUNIT_ASSERT_EQUAL(
            unsupported, refusal(jwt, b64url(R"({"alg":"none","kid":"k1"})") + "." + body + "."));
        CPPUNIT_ASSERT_EQUAL(unsupported,
                             refusal(jwt, craft(R"({"alg":"None","kid":"k1"})", payload())));
        CPPUNIT_ASSERT_EQUAL(unsupported,
                             refusal(jwt, craft(R"({"alg":"hs256","kid":"k1"})", payload())));
        CPPUNIT_ASSERT_EQUAL(unsupported, refusal(jwt, craft(R"({"alg":"HS512","kid":"k1"})",
                                                             payload(), key1, EVP_sha512())));
        CPPUNIT_ASSERT_EQUAL(unsupported,
                             refusal(jwt, craft(R"({"alg":"RS256","kid":"k1"})", payload())));
        CPPUNIT_ASSERT_EQUAL(unsupported, refusal(jwt, craft(R"({"kid":"k1"})", payload())));
        CPPUNIT_ASSERT_EQUAL(unsupported,
                             refusal(jwt, craft(R"({"alg":["HS256"],"kid":"k1"})", payload())));
    }

    void keysComeOnlyFromTheTable()
    {
        const JwtCodec jwt = codec();
        CPPUNIT_ASSERT_EQUAL(std::string("unknown key"),
                             refusal(jwt, craft(R"({"alg":"HS256","kid":"k9"})", payload())));
        CPPUNIT_ASSERT_EQUAL(
            std::string("unknown key"),
            refusal(jwt, craft(R"({"alg":"HS256","kid":"../../etc/passwd"})", payload(), "")));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown key"),
                             refusal(jwt, craft(R"({"alg":"HS256"})", payload())));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown key"),
                             refusal(jwt, craft(R"({"alg":"HS256","kid":1})", payload())));
        // A key shipped in the header is not trusted: the MAC is checked with k1.
        const std::string attackerKey(32, 'x');
        CPPUNIT_ASSERT_EQUAL(
            std::string("bad signature"),
            refusal(jwt, craft(R"({"alg":"HS256","kid":"k1","jwk":{"kty":"oct","k":"eHh4"}})",
                               payload(), attackerKey)));
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"),
                             refusal(jwt, craft(goodHeader, payload(), key2)));
    }

    void signatureIsCheckedBeforeClaims()
    {
        const JwtCodec jwt = codec();
        const std::string token = jwt.sign(claims());
        const std::string signature = token.substr(token.rfind('.'));
        // Tampered payload (another subject) with the original signature.
        JwtCodec::Claims forged = claims();
        forged.subject = "root";
        const std::string forgedToken = jwt.sign(forged);
        const std::string tampered = forgedToken.substr(0, forgedToken.rfind('.')) + signature;
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"), refusal(jwt, tampered));
        // A payload that would fail every claim check still reports the signature first.
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"),
                             refusal(jwt, craft(goodHeader, R"({"exp":1})", key2)));
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"),
                             refusal(jwt, craft(goodHeader, "not json at all", key2)));
        // Truncated and empty signatures.
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"),
                             refusal(jwt, token.substr(0, token.rfind('.') + 1)));
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"),
                             refusal(jwt, token.substr(0, token.size() - 3)));
    }

    void timeClaimsAreEnforcedWithLeeway()
    {
        const JwtCodec jwt = codec();
        const std::string exp = std::to_string(now - 59);
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"),
                             refusal(jwt, craft(goodHeader, payload(R"("exp":)" + exp, "exp"))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("expired"),
            refusal(jwt,
                    craft(goodHeader, payload(R"("exp":)" + std::to_string(now - 60), "exp"))));
        CPPUNIT_ASSERT_EQUAL(std::string("expired"),
                             refusal(jwt, jwt.sign(claims()), now + 3600 + 60));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(jwt, jwt.sign(claims()), now + 3659));
        CPPUNIT_ASSERT_EQUAL(std::string("missing exp"),
                             refusal(jwt, craft(goodHeader, payload("", "exp"))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("malformed"),
            refusal(jwt, craft(goodHeader, payload(R"("exp":"9999999999")", "exp"))));
        CPPUNIT_ASSERT_EQUAL(std::string("malformed"),
                             refusal(jwt, craft(goodHeader, payload(R"("exp":1.7e12)", "exp"))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("not yet valid"),
            refusal(jwt,
                    craft(goodHeader, payload(R"("nbf":)" + std::to_string(now + 120), "nbf"))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("accepted"),
            refusal(jwt,
                    craft(goodHeader, payload(R"("nbf":)" + std::to_string(now + 60), "nbf"))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("not yet valid"),
            refusal(jwt,
                    craft(goodHeader, payload(R"("iat":)" + std::to_string(now + 61), "iat"))));
        CPPUNIT_ASSERT_EQUAL(std::string("malformed"),
                             refusal(jwt, craft(goodHeader, payload("", "iat"))));
        CPPUNIT_ASSERT_EQUAL(std::string("not yet valid"),
                             refusal(jwt, jwt.sign(claims()), now - 61));
        // No leeway at all when configured so.
        const JwtCodec strict({{"k1", key1}}, "k1", "comfygate", "comfygate-web", 0s);
        CPPUNIT_ASSERT_EQUAL(std::string("expired"),
                             refusal(strict, strict.sign(claims()), now + 3600));
        CPPUNIT_ASSERT_EQUAL(std::string("not yet valid"),
                             refusal(strict, strict.sign(claims()), now - 1));
    }

    void issuerAudienceJtiAndTypeAreEnforced()
    {
        const JwtCodec jwt = codec();
        auto check = [&](const std::string& reason, const std::string& overrides,
                         const std::string& without) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                overrides + " without " + without, reason,
                refusal(jwt, craft(goodHeader, payload(overrides, without))));
        };
        check("wrong issuer", R"("iss":"someone-else")", "iss");
        check("wrong issuer", "", "iss");
        check("malformed", R"("iss":42)", "iss");
        check("wrong audience", R"("aud":"comfygate-api")", "aud");
        check("wrong audience", R"("aud":["comfygate-api","x"])", "aud");
        check("wrong audience", R"("aud":[])", "aud");
        check("wrong audience", "", "aud");
        check("missing jti", "", "jti");
        check("missing jti", R"("jti":"")", "jti");
        check("wrong type", R"("token_use":"refresh")", "token_use");
        check("wrong type", "", "token_use");
        check("malformed", "", "sub");

        JwtCodec::Claims refresh = claims();
        refresh.type = "refresh";
        CPPUNIT_ASSERT_EQUAL(std::string("wrong type"), refusal(jwt, jwt.sign(refresh)));
        const JwtCodec otherAudience({{"k1", key1}}, "k1", "comfygate", "comfygate-api");
        CPPUNIT_ASSERT_EQUAL(std::string("wrong audience"),
                             refusal(otherAudience, jwt.sign(claims())));
        const JwtCodec otherIssuer({{"k1", key1}}, "k1", "elsewhere", "comfygate-web");
        CPPUNIT_ASSERT_EQUAL(std::string("wrong issuer"), refusal(otherIssuer, jwt.sign(claims())));
    }

    void structuralGarbageIsMalformed()
    {
        const JwtCodec jwt = codec();
        const std::string token = jwt.sign(claims());
        const std::string malformed = "malformed";
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(jwt, token));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, ""));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, "."));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, ".."));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, "abc"));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, token + "."));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, token + ".e30"));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, "." + token));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, token.substr(0, token.rfind('.'))));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, token + "="));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, token + " "));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, " " + token));
        std::string withPlus = token;
        withPlus[withPlus.rfind('.') + 3] = '+';
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, withPlus));
        // The last signature character carries 2 unused bits: flipping them must not yield a
        // second accepted spelling of the same token.
        const std::string alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string twin = token;
        const auto index = alphabet.find(twin.back());
        twin.back() = alphabet[(index & ~std::size_t(3)) | ((index + 1) & 3)];
        CPPUNIT_ASSERT(twin != token);
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, twin));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, std::string(10 * 1024, 'A')));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, std::string(10 * 1024, '.')));
        std::string garbage(10 * 1024, '\0');
        for (std::size_t i = 0; i < garbage.size(); ++i) {
            garbage[i] = static_cast<char>((i * 131 + 7) % 256);
        }
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, garbage));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, craft("not json", payload())));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, craft("[1,2]", payload())));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, craft(goodHeader, "[1,2]")));
        CPPUNIT_ASSERT_EQUAL(malformed, refusal(jwt, craft(goodHeader, "{\"sub\":")));
        CPPUNIT_ASSERT_EQUAL(
            malformed,
            refusal(jwt, craft(R"({"alg":"HS256","kid":"k1","crit":["exp"]})", payload())));
    }

    void keyRotationVerifiesOldKidsAndSignsWithNew()
    {
        const JwtCodec before = codec({{"k1", key1}}, "k1");
        const JwtCodec after = codec({{"k1", key1}, {"k2", key2}}, "k2");
        const std::string oldToken = before.sign(claims());
        const std::string newToken = after.sign(claims());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"alg":"HS256","typ":"JWT","kid":"k2"})"),
                             unb64url(newToken.substr(0, newToken.find('.'))));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(after, oldToken));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(after, newToken));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown key"), refusal(before, newToken));
        const JwtCodec retired = codec({{"k2", key2}}, "k2");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown key"), refusal(retired, oldToken));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(retired, newToken));
    }

    void constructorAndSignRefuseWeakInput()
    {
        CPPUNIT_ASSERT_THROW(codec({{"k1", std::string(31, 'k')}}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(codec({{"k1", key1}, {"old", "short"}}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(codec({{"k1", key1}}, "k2"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(codec({}, ""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(JwtCodec({{"k1", key1}}, "k1", "", "aud"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(JwtCodec({{"k1", key1}}, "k1", "iss", ""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(JwtCodec({{"k1", key1}}, "k1", "iss", "aud", 61s),
                             std::invalid_argument);
        const JwtCodec jwt = codec();
        JwtCodec::Claims noJti = claims();
        noJti.jti.clear();
        CPPUNIT_ASSERT_THROW(jwt.sign(noJti), std::invalid_argument);
        JwtCodec::Claims backwards = claims();
        backwards.expiresAt = backwards.issuedAt;
        CPPUNIT_ASSERT_THROW(jwt.sign(backwards), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JwtCodecTest);
