#include "SealedSecrets.h"
#include "TempDir.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/File.h>
#include <Poco/SHA2Engine.h>

#include <cppunit/extensions/HelperMacros.h>

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace std::string_literals;
using comfygate::SealedSecrets;
using comfygate::test::TempDir;

namespace {

const std::string openFailure =
    "sealed data could not be opened (tampered, wrong key or wrong context)";
const std::string secretKey = "0123456789abcdef0123456789abcdef-unit-test";
const std::string context = "user:42|civitai";

std::string base64Url(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

std::string unBase64Url(const std::string& text)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING);
    return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
}

/// The nonce ‖ ciphertext ‖ tag bytes of a sealed string.
std::string blobOf(const std::string& sealed)
{
    CPPUNIT_ASSERT_EQUAL(std::string("v1."), sealed.substr(0, 3));
    return unBase64Url(sealed.substr(3));
}

std::string sealedFrom(const std::string& blob)
{
    return "v1." + base64Url(blob);
}

void assertOpenFails(SealedSecrets& secrets, const std::string& sealed,
                     const std::string& associatedData)
{
    try {
        const std::string opened = secrets.open(sealed, associatedData);
        CPPUNIT_FAIL("opened \"" + sealed + "\" (" + std::to_string(opened.size()) + " bytes)");
    } catch (const std::runtime_error& e) {
        CPPUNIT_ASSERT_EQUAL(openFailure, std::string(e.what()));
    }
}

std::string constructionError(const std::string& key, const std::string& keyFile)
{
    try {
        SealedSecrets secrets(key, keyFile);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    CPPUNIT_FAIL("construction was not refused");
    return {};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

unsigned modeOf(const std::string& path)
{
    struct stat status = {};
    CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &status));
    return status.st_mode & 07777;
}

} // namespace

class SealedSecretsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SealedSecretsTest);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testRoundTripEmptyAndOneMebibyte);
    CPPUNIT_TEST(testSealedFormatIsPrintableAndVersioned);
    CPPUNIT_TEST(testTwoSealsOfSameTextDiffer);
    CPPUNIT_TEST(testTamperingWithAnyByteFails);
    CPPUNIT_TEST(testWrongAssociatedDataFails);
    CPPUNIT_TEST(testTruncatedFails);
    CPPUNIT_TEST(testGarbageFails);
    CPPUNIT_TEST(testNonCanonicalEncodingFails);
    CPPUNIT_TEST(testDifferentKeyFails);
    CPPUNIT_TEST(testKeyFileCreatedWithMode0600);
    CPPUNIT_TEST(testKeyFileReusedByNextInstance);
    CPPUNIT_TEST(testConcurrentFirstStartsAgreeOnOneKey);
    CPPUNIT_TEST(testGroupOrWorldReadableKeyFileRefused);
    CPPUNIT_TEST(testMalformedKeyFileRefused);
    CPPUNIT_TEST(testSecretKeyTooShortRefused);
    CPPUNIT_TEST(testSecretKeyIsUsedInsteadOfKeyFile);
    CPPUNIT_TEST(testDeriveKeyIsDeterministicPerPurpose);
    CPPUNIT_TEST(testDeriveKeyDiffersBetweenPurposes);
    CPPUNIT_TEST(testDeriveKeyDiffersFromMasterKey);
    CPPUNIT_TEST(testDeriveKeyRejectsBadArguments);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<TempDir>();
        _secrets = std::make_unique<SealedSecrets>("", keyFile());
    }

    void tearDown() override
    {
        _secrets.reset();
        _dir.reset();
    }

    void testRoundTrip()
    {
        const std::string plaintext = "civitai api key \x00\xff binary-safe"s;
        const std::string sealed = _secrets->seal(plaintext, context);
        CPPUNIT_ASSERT(sealed.find("civitai") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(plaintext, _secrets->open(sealed, context));
    }

    void testRoundTripEmptyAndOneMebibyte()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(), _secrets->open(_secrets->seal("", context), context));
        CPPUNIT_ASSERT_EQUAL(std::string(), _secrets->open(_secrets->seal("", ""), ""));

        std::string big(1 << 20, '\0');
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = static_cast<char>((i * 131 + 7) % 251);
        const std::string sealed = _secrets->seal(big, context);
        CPPUNIT_ASSERT_EQUAL(12 + big.size() + 16, blobOf(sealed).size());
        CPPUNIT_ASSERT(big == _secrets->open(sealed, context));
    }

    void testSealedFormatIsPrintableAndVersioned()
    {
        const std::string sealed = _secrets->seal("secret", context);
        CPPUNIT_ASSERT_EQUAL(std::string("v1."), sealed.substr(0, 3));
        for (char c : sealed.substr(3)) {
            const bool urlSafe =
                std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
            CPPUNIT_ASSERT_MESSAGE(std::string("unexpected character ") + c, urlSafe);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(12 + 6 + 16), blobOf(sealed).size());
    }

    void testTwoSealsOfSameTextDiffer()
    {
        const std::string a = _secrets->seal("same text", context);
        const std::string b = _secrets->seal("same text", context);
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT(blobOf(a).substr(0, 12) != blobOf(b).substr(0, 12));
        CPPUNIT_ASSERT_EQUAL(std::string("same text"), _secrets->open(a, context));
        CPPUNIT_ASSERT_EQUAL(std::string("same text"), _secrets->open(b, context));
    }

    void testTamperingWithAnyByteFails()
    {
        const std::string sealed = _secrets->seal("top secret api key", context);
        const std::string blob = blobOf(sealed);
        CPPUNIT_ASSERT_EQUAL(std::size_t(12 + 18 + 16), blob.size());
        // Every byte: the nonce (0..11), the ciphertext (12..29) and the tag (30..45).
        for (std::size_t i = 0; i < blob.size(); ++i) {
            for (unsigned char flip : {0x01, 0x80}) {
                std::string tampered = blob;
                tampered[i] = static_cast<char>(tampered[i] ^ flip);
                assertOpenFails(*_secrets, sealedFrom(tampered), context);
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::string("top secret api key"), _secrets->open(sealed, context));
    }

    void testWrongAssociatedDataFails()
    {
        const std::string sealed = _secrets->seal("key", context);
        assertOpenFails(*_secrets, sealed, "user:43|civitai");
        assertOpenFails(*_secrets, sealed, "user:42|huggingface");
        assertOpenFails(*_secrets, sealed, "");
        assertOpenFails(*_secrets, _secrets->seal("key", ""), context);
    }

    void testTruncatedFails()
    {
        const std::string sealed = _secrets->seal("a secret of some length", context);
        for (std::size_t length = 0; length < sealed.size(); ++length)
            assertOpenFails(*_secrets, sealed.substr(0, length), context);
        const std::string blob = blobOf(sealed);
        assertOpenFails(*_secrets, sealedFrom(blob.substr(0, blob.size() - 1)), context);
        assertOpenFails(*_secrets, sealedFrom(blob.substr(0, 27)), context);
        assertOpenFails(*_secrets, sealedFrom(blob.substr(1)), context);
    }

    void testGarbageFails()
    {
        const std::string sealed = _secrets->seal("secret", context);
        const std::vector<std::string> garbage = {
            "",
            "v1",
            "v1.",
            "hello world",
            "v1.@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
            "v1." + std::string(40, 'A'),
            sealedFrom(std::string(28, '\0')),
            sealedFrom(std::string(100, '\x5a')),
            "v2." + sealed.substr(3),
            "V1." + sealed.substr(3),
            "v1:" + sealed.substr(3),
            " " + sealed,
            sealed + " ",
            sealed + "\n",
            sealed + "=",
            sealed + "AAAA",
            sealed.substr(0, 10) + "\n" + sealed.substr(10),
            sealed.substr(0, 3) + "+" + sealed.substr(4),
            std::string("v1.\0\0\0\0", 7),
        };
        for (const std::string& text : garbage)
            assertOpenFails(*_secrets, text, context);
    }

    void testNonCanonicalEncodingFails()
    {
        // 12 + 1 + 16 = 29 bytes: the last base64 digit before "=" carries 2 unused bits.
        const std::string sealed = _secrets->seal("x", context);
        CPPUNIT_ASSERT_EQUAL('=', sealed.back());
        const std::string alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const std::size_t last = sealed.size() - 2;
        const std::size_t value = alphabet.find(sealed[last]);
        CPPUNIT_ASSERT(value != std::string::npos);
        std::string variant = sealed;
        variant[last] = alphabet[value ^ 1];
        CPPUNIT_ASSERT_MESSAGE("precondition: both spellings decode to the same bytes",
                               blobOf(variant) == blobOf(sealed));
        assertOpenFails(*_secrets, variant, context);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), _secrets->open(sealed, context));
    }

    void testDifferentKeyFails()
    {
        const std::string sealed = _secrets->seal("secret", context);
        TempDir other;
        SealedSecrets otherKeyFile("", other.file("secret.key"));
        assertOpenFails(otherKeyFile, sealed, context);

        SealedSecrets a(secretKey, "");
        SealedSecrets b(secretKey + "!", "");
        const std::string sealedByA = a.seal("secret", context);
        assertOpenFails(b, sealedByA, context);
        assertOpenFails(*_secrets, sealedByA, context);
        assertOpenFails(a, sealed, context);
    }

    void testKeyFileCreatedWithMode0600()
    {
        CPPUNIT_ASSERT_EQUAL(0600u, modeOf(keyFile()));
        const std::string content = readFile(keyFile());
        CPPUNIT_ASSERT_EQUAL(std::size_t(65), content.size());
        CPPUNIT_ASSERT_EQUAL('\n', content.back());
        std::vector<std::string> entries;
        Poco::File(_dir->path()).list(entries);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("no temporary file is left behind", std::size_t(1),
                                     entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("secret.key"), entries.front());
    }

    void testKeyFileReusedByNextInstance()
    {
        const std::string before = readFile(keyFile());
        const std::string sealed = _secrets->seal("survives a restart", context);
        _secrets.reset();
        SealedSecrets restarted("", keyFile());
        CPPUNIT_ASSERT_EQUAL(std::string("survives a restart"), restarted.open(sealed, context));
        CPPUNIT_ASSERT_EQUAL(before, readFile(keyFile()));
        CPPUNIT_ASSERT_EQUAL(0600u, modeOf(keyFile()));
    }

    void testConcurrentFirstStartsAgreeOnOneKey()
    {
        TempDir dir;
        const std::string path = dir.file("secret.key");
        std::vector<std::unique_ptr<SealedSecrets>> instances(6);
        std::vector<std::thread> threads;
        for (auto& instance : instances)
            threads.emplace_back(
                [&instance, &path] { instance = std::make_unique<SealedSecrets>("", path); });
        for (auto& thread : threads)
            thread.join();
        const std::string sealed = instances.front()->seal("shared", context);
        for (auto& instance : instances)
            CPPUNIT_ASSERT_EQUAL(std::string("shared"), instance->open(sealed, context));
        std::vector<std::string> entries;
        Poco::File(dir.path()).list(entries);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries.size());
    }

    void testGroupOrWorldReadableKeyFileRefused()
    {
        _secrets.reset();
        for (mode_t mode : {0640, 0604, 0660, 0644}) {
            CPPUNIT_ASSERT_EQUAL(0, ::chmod(keyFile().c_str(), mode));
            const std::string error = constructionError("", keyFile());
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, keyFile()));
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "chmod 600"));
        }
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(keyFile().c_str(), 0400));
        SealedSecrets readOnlyForOwner("", keyFile());
    }

    void testMalformedKeyFileRefused()
    {
        TempDir dir;
        for (const std::string& content :
             {std::string("not a key"), std::string(63, 'a'), std::string(64, 'g'),
              std::string(64, 'a') + "\n\n", std::string(), std::string(65, 'a')}) {
            const std::string path = dir.write("secret.key", content);
            CPPUNIT_ASSERT_EQUAL(0, ::chmod(path.c_str(), 0600));
            const std::string error = constructionError("", path);
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "malformed"));
        }
        const std::string path = dir.write("secret.key", std::string(64, 'a'));
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(path.c_str(), 0600));
        SealedSecrets withoutNewline("", path);
    }

    void testSecretKeyTooShortRefused()
    {
        const std::string error = constructionError(std::string(31, 'k'), keyFile());
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "SECRET_KEY"));
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "32"));
        SealedSecrets exactlyLongEnough(std::string(32, 'k'), "");
    }

    void testSecretKeyIsUsedInsteadOfKeyFile()
    {
        TempDir dir;
        const std::string unusedKeyFile = dir.file("secret.key");
        SealedSecrets first(secretKey, unusedKeyFile);
        CPPUNIT_ASSERT(!Poco::File(unusedKeyFile).exists());
        const std::string sealed = first.seal("from SECRET_KEY", context);
        SealedSecrets second(secretKey, keyFile());
        CPPUNIT_ASSERT_EQUAL(std::string("from SECRET_KEY"), second.open(sealed, context));
        assertOpenFails(*_secrets, sealed, context);
    }

    void testDeriveKeyIsDeterministicPerPurpose()
    {
        const std::string jwt = _secrets->deriveKey("jwt-hs256", 32);
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), jwt.size());
        CPPUNIT_ASSERT(jwt == _secrets->deriveKey("jwt-hs256", 32));
        _secrets.reset();
        CPPUNIT_ASSERT(jwt == SealedSecrets("", keyFile()).deriveKey("jwt-hs256", 32));

        SealedSecrets a(secretKey, "");
        SealedSecrets b(secretKey, "");
        CPPUNIT_ASSERT(a.deriveKey("jwt-hs256", 64) == b.deriveKey("jwt-hs256", 64));
        CPPUNIT_ASSERT(a.deriveKey("jwt-hs256", 32) != jwt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8160), a.deriveKey("long", 8160).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), a.deriveKey("short", 1).size());
    }

    void testDeriveKeyDiffersBetweenPurposes()
    {
        const std::vector<std::string> purposes = {"jwt-hs256", "jwt-hs256 ", "csrf", "ws-ticket",
                                                   "JWT-HS256"};
        std::vector<std::string> keys;
        for (const auto& purpose : purposes)
            keys.push_back(_secrets->deriveKey(purpose, 32));
        for (std::size_t i = 0; i < keys.size(); ++i)
            for (std::size_t j = i + 1; j < keys.size(); ++j)
                CPPUNIT_ASSERT_MESSAGE(purposes[i] + " vs " + purposes[j], keys[i] != keys[j]);
    }

    void testDeriveKeyDiffersFromMasterKey()
    {
        std::string hex = readFile(keyFile());
        hex.pop_back();
        unsigned char master[32];
        std::size_t length = 0;
        CPPUNIT_ASSERT_EQUAL(
            1, OPENSSL_hexstr2buf_ex(master, sizeof master, &length, hex.c_str(), '\0'));
        CPPUNIT_ASSERT_EQUAL(sizeof master, length);
        const std::string masterKey(reinterpret_cast<const char*>(master), sizeof master);
        for (const std::string purpose : {"jwt-hs256", "master-key", "aes-256-gcm"}) {
            const std::string derived = _secrets->deriveKey(purpose, 32);
            CPPUNIT_ASSERT(derived != masterKey);
            CPPUNIT_ASSERT(derived.find(masterKey.substr(0, 8)) == std::string::npos);
        }

        SealedSecrets fromSecretKey(secretKey, "");
        Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
        sha256.update(secretKey);
        const Poco::DigestEngine::Digest& digest = sha256.digest();
        const std::string hashedSecretKey(digest.begin(), digest.end());
        const std::string derived = fromSecretKey.deriveKey("jwt-hs256", 32);
        CPPUNIT_ASSERT(derived != secretKey.substr(0, 32));
        CPPUNIT_ASSERT(derived != hashedSecretKey);
    }

    void testDeriveKeyRejectsBadArguments()
    {
        CPPUNIT_ASSERT_THROW(_secrets->deriveKey("", 32), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_secrets->deriveKey("jwt-hs256", 0), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_secrets->deriveKey("jwt-hs256", 8161), std::invalid_argument);
    }

private:
    std::string keyFile() const { return _dir->file("secret.key"); }

    std::unique_ptr<TempDir> _dir;
    std::unique_ptr<SealedSecrets> _secrets;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SealedSecretsTest);
