#include "PasswordHasher.h"

#include "RandomTokens.h"

#include <argon2.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace comfygate::auth {

namespace {

constexpr std::size_t saltBytes = 16;
constexpr std::size_t hashBytes = 32;

void checkFloor(const PasswordHasher::Parameters& p)
{
    if (p.iterations < 1) {
        throw std::invalid_argument("auth.argon2.iterations must be at least 1");
    }
    if (p.parallelism < 1) {
        throw std::invalid_argument("auth.argon2.parallelism must be at least 1");
    }
    // ASVS 5.0 Appendix C / OWASP: equivalent-strength pairs of time and memory cost.
    const std::uint32_t minimumMemory =
        p.iterations == 1 ? 47104 : p.iterations == 2 ? 19456 : 12288;
    if (p.memoryKiB < minimumMemory) {
        throw std::invalid_argument(
            "auth.argon2.memory_kib must be at least " + std::to_string(minimumMemory) +
            " with auth.argon2.iterations=" + std::to_string(p.iterations) + " (got " +
            std::to_string(p.memoryKiB) + "); raise auth.argon2.memory_kib or "
            "auth.argon2.iterations");
    }
}

void checkLength(const std::string& password)
{
    if (password.size() > PasswordHasher::maxPasswordBytes) {
        throw std::invalid_argument("password longer than " +
                                    std::to_string(PasswordHasher::maxPasswordBytes) + " bytes");
    }
}

bool readNumber(std::string_view& text, std::string_view name, std::uint32_t& value)
{
    if (text.substr(0, name.size()) != name) {
        return false;
    }
    text.remove_prefix(name.size());
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data()) {
        return false;
    }
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

bool consume(std::string_view& text, std::string_view expected)
{
    if (text.substr(0, expected.size()) != expected) {
        return false;
    }
    text.remove_prefix(expected.size());
    return true;
}

} // namespace

HasherBusy::HasherBusy()
    : std::runtime_error("too many password checks in progress; try again shortly")
{
}

/// One of the bounded slots, held for the duration of one hash or verify.
class PasswordHasher::Slot
{
public:
    explicit Slot(PasswordHasher& owner) : _owner(owner)
    {
        std::unique_lock lock(_owner._mutex);
        if (!_owner._released.wait_for(lock, _owner._waitLimit, [this] {
                return _owner._active < _owner._maxConcurrent;
            })) {
            throw HasherBusy();
        }
        ++_owner._active;
    }

    ~Slot()
    {
        {
            std::lock_guard lock(_owner._mutex);
            --_owner._active;
        }
        _owner._released.notify_one();
    }

    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

private:
    PasswordHasher& _owner;
};

PasswordHasher::PasswordHasher(Parameters parameters, unsigned maxConcurrent,
                               std::chrono::milliseconds waitLimit)
    : _parameters(parameters), _maxConcurrent(maxConcurrent), _waitLimit(waitLimit)
{
    checkFloor(_parameters);
    if (_maxConcurrent == 0) {
        throw std::invalid_argument("auth.argon2.max_concurrent must be at least 1");
    }
    if (_waitLimit.count() < 0) {
        throw std::invalid_argument("PasswordHasher: negative wait limit");
    }
}

std::string PasswordHasher::hash(const std::string& password)
{
    checkLength(password);
    Slot slot(*this);
    return hashUnbounded(password);
}

bool PasswordHasher::verify(const std::string& encoded, const std::string& password)
{
    checkLength(password);
    Slot slot(*this);
    return verifyUnbounded(encoded, password);
}

void PasswordHasher::dummyVerify(const std::string& password)
{
    checkLength(password);
    Slot slot(*this);
    // Computed inside a slot, so the one-time cost is bounded like every other hash.
    std::call_once(_dummyOnce, [this] { _dummyHash = hashUnbounded(RandomTokens::hex(32)); });
    verifyUnbounded(_dummyHash, password);
}

bool PasswordHasher::needsRehash(const std::string& encoded) const
{
    std::string_view text(encoded);
    std::uint32_t version = 0;
    Parameters stored{0, 0, 0};
    if (!consume(text, "$argon2id$") || !readNumber(text, "v=", version) ||
        !readNumber(text, "$m=", stored.memoryKiB) ||
        !readNumber(text, ",t=", stored.iterations) ||
        !readNumber(text, ",p=", stored.parallelism) || !consume(text, "$")) {
        return true;
    }
    return version != ARGON2_VERSION_13 || stored.memoryKiB < _parameters.memoryKiB ||
           stored.iterations < _parameters.iterations ||
           stored.parallelism < _parameters.parallelism;
}

unsigned PasswordHasher::active() const
{
    std::lock_guard lock(_mutex);
    return _active;
}

std::string PasswordHasher::hashUnbounded(const std::string& password) const
{
    const std::string salt = RandomTokens::bytes(saltBytes);
    std::string encoded(argon2_encodedlen(_parameters.iterations, _parameters.memoryKiB,
                                          _parameters.parallelism, saltBytes, hashBytes,
                                          Argon2_id),
                        '\0');
    const int result = argon2id_hash_encoded(
        _parameters.iterations, _parameters.memoryKiB, _parameters.parallelism, password.data(),
        password.size(), salt.data(), salt.size(), hashBytes, encoded.data(), encoded.size());
    if (result != ARGON2_OK) {
        throw std::runtime_error(std::string("argon2id hashing failed: ") +
                                 argon2_error_message(result));
    }
    encoded.resize(std::strlen(encoded.c_str()));
    return encoded;
}

bool PasswordHasher::verifyUnbounded(const std::string& encoded,
                                     const std::string& password) const
{
    // A NUL inside the stored string would make libargon2 read a different hash than the
    // one stored.
    if (encoded.find('\0') != std::string::npos) {
        return false;
    }
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

} // namespace comfygate::auth
