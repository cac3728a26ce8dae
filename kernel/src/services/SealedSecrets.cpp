#include "SealedSecrets.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {

namespace {

constexpr std::size_t nonceLength = 12;
constexpr std::size_t tagLength = 16;
constexpr std::size_t maxDerivedLength = 255 * 32;
constexpr std::size_t keyFileHexLength = 64;
constexpr int cipherChunk = 1 << 20;
const std::string sealedPrefix = "v1.";
const std::string openFailure =
    "sealed data could not be opened (tampered, wrong key or wrong context)";

struct KdfContextFree
{
    void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

struct CipherContextFree
{
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

class FileDescriptor
{
public:
    explicit FileDescriptor(int fd) : _fd(fd) {}
    ~FileDescriptor()
    {
        if (_fd >= 0)
            ::close(_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const { return _fd; }
    int release()
    {
        int fd = _fd;
        _fd = -1;
        return fd;
    }

private:
    int _fd;
};

std::string systemError(const std::string& what, const std::string& path, int error)
{
    return what + " " + path + ": " + std::strerror(error);
}

void hkdfSha256(const unsigned char* key, std::size_t keyLength, const std::string& salt,
                const std::string& info, unsigned char* out, std::size_t outLength)
{
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (!kdf)
        throw std::runtime_error("HKDF is not available from OpenSSL");
    std::unique_ptr<EVP_KDF_CTX, KdfContextFree> ctx(EVP_KDF_CTX_new(kdf));
    EVP_KDF_free(kdf);
    if (!ctx)
        throw std::runtime_error("cannot create an HKDF context");

    OSSL_PARAM params[5];
    OSSL_PARAM* param = params;
    *param++ =
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
    *param++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                 const_cast<unsigned char*>(key), keyLength);
    if (!salt.empty())
        *param++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                     const_cast<char*>(salt.data()), salt.size());
    *param++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 const_cast<char*>(info.data()), info.size());
    *param = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx.get(), out, outLength, params) <= 0)
        throw std::runtime_error("HKDF-SHA-256 derivation failed");
}

std::string encodeBase64Url(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

// Poco's decoder skips some characters and tolerates odd endings, so only a text that
// re-encodes to itself is accepted: one sealed value has exactly one spelling.
std::optional<std::string> decodeCanonicalBase64Url(const std::string& text)
{
    try {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING);
        std::string bytes((std::istreambuf_iterator<char>(decoder)),
                          std::istreambuf_iterator<char>());
        if (encodeBase64Url(bytes) != text)
            return std::nullopt;
        return bytes;
    } catch (...) {
        return std::nullopt;
    }
}

unsigned char* bytesOf(std::string& s)
{
    return reinterpret_cast<unsigned char*>(s.data());
}

const unsigned char* bytesOf(const std::string& s)
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP_*Update take an int length; feeding large inputs in slices keeps any size correct.
template <typename Update>
bool updateInChunks(Update update, EVP_CIPHER_CTX* ctx, unsigned char* out, const unsigned char* in,
                    std::size_t length)
{
    std::size_t done = 0;
    while (done < length) {
        const int chunk = static_cast<int>(std::min<std::size_t>(length - done, cipherChunk));
        int written = 0;
        if (update(ctx, out ? out + done : nullptr, &written, in + done, chunk) != 1)
            return false;
        if (out && written != chunk)
            return false;
        done += static_cast<std::size_t>(chunk);
    }
    return true;
}

[[noreturn]] void failToOpen()
{
    throw std::runtime_error(openFailure);
}

} // namespace

SealedSecrets::SealedSecrets(const std::string& secretKeyOrEmpty, const std::string& keyFilePath)
{
    try {
        if (!secretKeyOrEmpty.empty()) {
            if (secretKeyOrEmpty.size() < minimumSecretKeyLength)
                throw std::runtime_error(
                    "SECRET_KEY is too short: it must be at least " +
                    std::to_string(minimumSecretKeyLength) +
                    " characters of random text (e.g. the output of `openssl rand -hex 32`)");
            hkdfSha256(bytesOf(secretKeyOrEmpty), secretKeyOrEmpty.size(),
                       "comfygate/secret-key/v1", "master-key", _masterKey.data(),
                       _masterKey.size());
        } else {
            loadOrCreateKeyFile(keyFilePath);
        }
        hkdfSha256(_masterKey.data(), _masterKey.size(), "comfygate/seal/v1", "aes-256-gcm",
                   _sealingKey.data(), _sealingKey.size());
    } catch (...) {
        OPENSSL_cleanse(_masterKey.data(), _masterKey.size());
        OPENSSL_cleanse(_sealingKey.data(), _sealingKey.size());
        throw;
    }
}

SealedSecrets::~SealedSecrets()
{
    OPENSSL_cleanse(_masterKey.data(), _masterKey.size());
    OPENSSL_cleanse(_sealingKey.data(), _sealingKey.size());
}

void SealedSecrets::loadOrCreateKeyFile(const std::string& path)
{
    if (path.empty())
        throw std::runtime_error("neither SECRET_KEY nor a key file path was given");
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() >= 0) {
        readKeyFile(fd.get(), path);
        return;
    }
    if (errno != ENOENT)
        throw std::runtime_error(systemError("cannot open the key file", path, errno));
    createKeyFile(path);
}

void SealedSecrets::readKeyFile(int fd, const std::string& path)
{
    struct stat status = {};
    if (::fstat(fd, &status) != 0)
        throw std::runtime_error(systemError("cannot inspect the key file", path, errno));
    if (!S_ISREG(status.st_mode))
        throw std::runtime_error("the key file " + path + " is not a regular file");
    if ((status.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
        throw std::runtime_error("the key file " + path + " has mode " + mode +
                                 ": group and others must have no access; refusing to start. "
                                 "Fix it with: chmod 600 " +
                                 path);
    }

    char buffer[keyFileHexLength + 2];
    std::size_t length = 0;
    while (length < sizeof buffer) {
        const ssize_t n = ::read(fd, buffer + length, sizeof buffer - length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            OPENSSL_cleanse(buffer, sizeof buffer);
            throw std::runtime_error(systemError("cannot read the key file", path, errno));
        }
        if (n == 0)
            break;
        length += static_cast<std::size_t>(n);
    }
    if (length == keyFileHexLength + 1 && buffer[keyFileHexLength] == '\n')
        --length;
    bool wellFormed = length == keyFileHexLength;
    for (std::size_t i = 0; wellFormed && i < length; ++i)
        wellFormed = OPENSSL_hexchar2int(static_cast<unsigned char>(buffer[i])) >= 0;
    std::size_t decoded = 0;
    if (wellFormed) {
        buffer[length] = '\0';
        wellFormed = OPENSSL_hexstr2buf_ex(_masterKey.data(), _masterKey.size(), &decoded, buffer,
                                           '\0') == 1 &&
                     decoded == _masterKey.size();
    }
    OPENSSL_cleanse(buffer, sizeof buffer);
    if (!wellFormed)
        throw std::runtime_error("the key file " + path +
                                 " is malformed: expected 64 hexadecimal digits");
}

void SealedSecrets::createKeyFile(const std::string& path)
{
    if (RAND_bytes(_masterKey.data(), static_cast<int>(_masterKey.size())) != 1)
        throw std::runtime_error("no random bytes available for a new key file");
    unsigned char suffix[8];
    if (RAND_bytes(suffix, sizeof suffix) != 1)
        throw std::runtime_error("no random bytes available for a new key file");

    char hex[keyFileHexLength + 2];
    std::size_t hexLength = 0;
    if (OPENSSL_buf2hexstr_ex(hex, sizeof hex, &hexLength, _masterKey.data(),
                              static_cast<long>(_masterKey.size()), '\0') != 1)
        throw std::runtime_error("cannot encode a new key file");
    hex[keyFileHexLength] = '\n';

    char suffixHex[2 * sizeof suffix + 1];
    OPENSSL_buf2hexstr_ex(suffixHex, sizeof suffixHex, nullptr, suffix, sizeof suffix, '\0');
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid()) + "-" + suffixHex;

    FileDescriptor fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) {
        OPENSSL_cleanse(hex, sizeof hex);
        throw std::runtime_error(systemError("cannot create the key file", temporary, errno));
    }
    std::size_t written = 0;
    int error = 0;
    while (written < keyFileHexLength + 1 && error == 0) {
        const ssize_t n = ::write(fd.get(), hex + written, keyFileHexLength + 1 - written);
        if (n < 0 && errno != EINTR)
            error = errno;
        else if (n > 0)
            written += static_cast<std::size_t>(n);
    }
    OPENSSL_cleanse(hex, sizeof hex);
    if (error == 0 && ::fsync(fd.get()) != 0)
        error = errno;
    if (::close(fd.release()) != 0 && error == 0)
        error = errno;
    if (error != 0) {
        ::unlink(temporary.c_str());
        throw std::runtime_error(systemError("cannot write the key file", temporary, error));
    }

    // No-clobber publish: when another process created the key file first, use that one,
    // so two instances starting together never end up with different keys.
    int publishError =
        ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0
            ? 0
            : errno;
    if (publishError == EINVAL || publishError == ENOSYS)
        publishError = ::link(temporary.c_str(), path.c_str()) == 0 ? 0 : errno;
    ::unlink(temporary.c_str());
    if (publishError == EEXIST) {
        OPENSSL_cleanse(_masterKey.data(), _masterKey.size());
        FileDescriptor existing(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (existing.get() < 0)
            throw std::runtime_error(systemError("cannot open the key file", path, errno));
        readKeyFile(existing.get(), path);
        return;
    }
    if (publishError != 0)
        throw std::runtime_error(systemError("cannot create the key file", path, publishError));

    const std::string directory = Poco::Path(path).parent().toString();
    FileDescriptor dir(
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0)
        throw std::runtime_error(systemError("cannot sync the directory of", path, errno));

    Poco::Logger::get("secrets").notice(
        "Created the key file " + path +
        "; back it up: without it, sealed secrets (API keys, TOTP) cannot be recovered");
}

std::string SealedSecrets::seal(const std::string& plaintext, const std::string& associatedData)
{
    std::string blob(nonceLength + plaintext.size() + tagLength, '\0');
    unsigned char* nonce = bytesOf(blob);
    unsigned char* ciphertext = nonce + nonceLength;
    unsigned char* tag = ciphertext + plaintext.size();
    if (RAND_bytes(nonce, static_cast<int>(nonceLength)) != 1)
        throw std::runtime_error("no random bytes available for a nonce");

    CipherContext ctx(EVP_CIPHER_CTX_new());
    int finalLength = 0;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonceLength),
                            nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, _sealingKey.data(), nonce) == 1 &&
        updateInChunks(EVP_EncryptUpdate, ctx.get(), nullptr, bytesOf(associatedData),
                       associatedData.size()) &&
        updateInChunks(EVP_EncryptUpdate, ctx.get(), ciphertext, bytesOf(plaintext),
                       plaintext.size()) &&
        EVP_EncryptFinal_ex(ctx.get(), tag, &finalLength) == 1 && finalLength == 0 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tagLength), tag) == 1;
    if (!ok)
        throw std::runtime_error("AES-256-GCM sealing failed");
    return sealedPrefix + encodeBase64Url(blob);
}

std::string SealedSecrets::open(const std::string& sealed, const std::string& associatedData)
{
    if (sealed.compare(0, sealedPrefix.size(), sealedPrefix) != 0)
        failToOpen();
    std::optional<std::string> blob = decodeCanonicalBase64Url(sealed.substr(sealedPrefix.size()));
    if (!blob || blob->size() < nonceLength + tagLength)
        failToOpen();

    const unsigned char* nonce = bytesOf(*blob);
    const unsigned char* ciphertext = nonce + nonceLength;
    const std::size_t ciphertextLength = blob->size() - nonceLength - tagLength;
    std::string tag = blob->substr(nonceLength + ciphertextLength);

    std::string plaintext(ciphertextLength, '\0');
    CipherContext ctx(EVP_CIPHER_CTX_new());
    int finalLength = 0;
    const bool ok =
        ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonceLength),
                            nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, _sealingKey.data(), nonce) == 1 &&
        updateInChunks(EVP_DecryptUpdate, ctx.get(), nullptr, bytesOf(associatedData),
                       associatedData.size()) &&
        updateInChunks(EVP_DecryptUpdate, ctx.get(), bytesOf(plaintext), ciphertext,
                       ciphertextLength) &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tagLength),
                            tag.data()) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), bytesOf(plaintext) + ciphertextLength, &finalLength) == 1;
    if (!ok) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        failToOpen();
    }
    return plaintext;
}

std::string SealedSecrets::deriveKey(const std::string& purpose, std::size_t length)
{
    if (purpose.empty())
        throw std::invalid_argument("deriveKey needs a purpose");
    if (length == 0 || length > maxDerivedLength)
        throw std::invalid_argument("deriveKey length must be between 1 and " +
                                    std::to_string(maxDerivedLength) + " bytes");
    std::string key(length, '\0');
    hkdfSha256(_masterKey.data(), _masterKey.size(), "", purpose, bytesOf(key), length);
    return key;
}

} // namespace comfygate
