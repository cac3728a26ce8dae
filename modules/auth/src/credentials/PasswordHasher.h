#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

namespace comfygate::auth {

/// Thrown when a hash or verify waited longer than the configured limit for one of the
/// bounded slots. The caller answers 503/429; the server keeps its memory and CPU.
class HasherBusy : public std::runtime_error
{
public:
    HasherBusy();
};

/// argon2id password hashing (libargon2) with PHC strings
/// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so every stored hash carries its parameters.
///
/// Each running hash holds `memoryKiB` of RAM, so at most `maxConcurrent` run at once; the
/// others wait up to `waitLimit` and then get HasherBusy. Thread-safe.
class PasswordHasher
{
public:
    /// argon2id cost. The defaults are the OWASP / ASVS minimum (m=19456 KiB, t=2, p=1).
    struct Parameters
    {
        std::uint32_t memoryKiB = 19456;
        std::uint32_t iterations = 2;
        std::uint32_t parallelism = 1;
    };

    /// Longest password (in bytes) accepted by hash, verify and dummyVerify: bounds the cost
    /// an unauthenticated request can cause.
    static constexpr std::size_t maxPasswordBytes = 1024;

    /// Throws std::invalid_argument naming the config key (`auth.argon2.memory_kib`,
    /// `auth.argon2.iterations`, `auth.argon2.parallelism`) when the parameters are below the
    /// ASVS floor (t=1 → m ≥ 47104; t=2 → m ≥ 19456; t ≥ 3 → m ≥ 12288; p ≥ 1), or when
    /// maxConcurrent is 0.
    PasswordHasher(Parameters parameters, unsigned maxConcurrent,
                   std::chrono::milliseconds waitLimit);

    PasswordHasher(const PasswordHasher&) = delete;
    PasswordHasher& operator=(const PasswordHasher&) = delete;

    /// A fresh PHC string for `password` with a 16-byte random salt and a 32-byte hash.
    /// Throws std::invalid_argument when the password is longer than maxPasswordBytes,
    /// HasherBusy when no slot frees up within the wait limit.
    std::string hash(const std::string& password);

    /// True when `encoded` is an argon2id PHC string of `password`. A malformed or foreign
    /// (argon2i, bcrypt, ...) string is false. Same exceptions as hash().
    bool verify(const std::string& encoded, const std::string& password);

    /// Runs a verification that always fails against a fixed hash made with the current
    /// parameters (computed once, on first use), so a login for an unknown user takes as
    /// long as one with a wrong password. Same exceptions as hash().
    void dummyVerify(const std::string& password);

    /// True when `encoded` should be replaced after a successful login: not argon2id v=19,
    /// unparsable, or any parameter below the current ones.
    bool needsRehash(const std::string& encoded) const;

    const Parameters& parameters() const { return _parameters; }

    /// Hash or verify operations running right now (for metrics and tests).
    unsigned active() const;

private:
    class Slot;

    std::string hashUnbounded(const std::string& password) const;
    bool verifyUnbounded(const std::string& encoded, const std::string& password) const;

    const Parameters _parameters;
    const unsigned _maxConcurrent;
    const std::chrono::milliseconds _waitLimit;
    mutable std::mutex _mutex;
    std::condition_variable _released;
    unsigned _active = 0;
    std::once_flag _dummyOnce;
    std::string _dummyHash;
};

} // namespace comfygate::auth
