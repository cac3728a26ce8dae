#include "PasswordHasher.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <future>
#include <iostream>
#include <thread>
#include <vector>

using comfygate::auth::HasherBusy;
using comfygate::auth::PasswordHasher;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

PasswordHasher::Parameters params(std::uint32_t memoryKiB, std::uint32_t iterations,
                                  std::uint32_t parallelism = 1)
{
    PasswordHasher::Parameters p;
    p.memoryKiB = memoryKiB;
    p.iterations = iterations;
    p.parallelism = parallelism;
    return p;
}

std::string refusal(PasswordHasher::Parameters p, unsigned maxConcurrent = 2)
{
    try {
        PasswordHasher hasher(p, maxConcurrent, 1s);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

void waitUntilActive(const PasswordHasher& hasher, unsigned count)
{
    const auto deadline = Clock::now() + 5s;
    while (hasher.active() < count && Clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    CPPUNIT_ASSERT_EQUAL(count, hasher.active());
}

double millisecondsSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace

class PasswordHasherTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PasswordHasherTest);
    CPPUNIT_TEST(hashVerifiesAndCarriesItsParameters);
    CPPUNIT_TEST(saltsDiffer);
    CPPUNIT_TEST(foreignAndDamagedHashesDoNotVerify);
    CPPUNIT_TEST(needsRehashWhenBelowCurrentParameters);
    CPPUNIT_TEST(parametersBelowTheFloorAreRefused);
    CPPUNIT_TEST(overlongPasswordsAreRefused);
    CPPUNIT_TEST(concurrencyIsCappedAndWaitersGiveUp);
    CPPUNIT_TEST(waitersWithinTheLimitProceed);
    CPPUNIT_TEST(dummyVerifyCostsAsMuchAsAVerify);
    CPPUNIT_TEST_SUITE_END();

public:
    void hashVerifiesAndCarriesItsParameters()
    {
        PasswordHasher hasher({}, 2, 5s);
        const std::string encoded = hasher.hash("correct horse battery staple");
        CPPUNIT_ASSERT_EQUAL(std::string("$argon2id$v=19$m=19456,t=2,p=1$"), encoded.substr(0, 31));
        CPPUNIT_ASSERT(hasher.verify(encoded, "correct horse battery staple"));
        CPPUNIT_ASSERT(!hasher.verify(encoded, "correct horse battery stapl"));
        CPPUNIT_ASSERT(!hasher.verify(encoded, "Correct horse battery staple"));
        CPPUNIT_ASSERT(!hasher.verify(encoded, ""));
        CPPUNIT_ASSERT_EQUAL(0u, hasher.active());
    }

    void saltsDiffer()
    {
        PasswordHasher hasher({}, 2, 5s);
        const std::string a = hasher.hash("same password");
        const std::string b = hasher.hash("same password");
        CPPUNIT_ASSERT(a != b);
        // 16-byte salt: 22 base64 characters between the 4th and 5th '$'.
        const auto saltStart = a.find('$', 31 - 1) + 1;
        CPPUNIT_ASSERT_EQUAL(std::size_t(22), a.find('$', saltStart) - saltStart);
        CPPUNIT_ASSERT(a.substr(saltStart, 22) != b.substr(saltStart, 22));
        CPPUNIT_ASSERT(hasher.verify(b, "same password"));
    }

    void foreignAndDamagedHashesDoNotVerify()
    {
        PasswordHasher hasher({}, 2, 5s);
        const std::string encoded = hasher.hash("pw-under-test");
        CPPUNIT_ASSERT(!hasher.verify("", "pw-under-test"));
        CPPUNIT_ASSERT(!hasher.verify(
            "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "pw-under-test"));
        std::string argon2i = encoded;
        argon2i.replace(0, 10, "$argon2i$");
        CPPUNIT_ASSERT(!hasher.verify(argon2i, "pw-under-test"));
        std::string flipped = encoded;
        flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
        CPPUNIT_ASSERT(!hasher.verify(flipped, "pw-under-test"));
        CPPUNIT_ASSERT(!hasher.verify(encoded + std::string(1, '\0') + "x", "pw-under-test"));
    }

    void needsRehashWhenBelowCurrentParameters()
    {
        PasswordHasher current({}, 2, 5s);
        const std::string encoded = current.hash("rehash me please");
        CPPUNIT_ASSERT(!current.needsRehash(encoded));
        CPPUNIT_ASSERT(PasswordHasher(params(19456, 3), 1, 1s).needsRehash(encoded));
        CPPUNIT_ASSERT(PasswordHasher(params(65536, 2), 1, 1s).needsRehash(encoded));
        CPPUNIT_ASSERT(PasswordHasher(params(19456, 2, 2), 1, 1s).needsRehash(encoded));
        // Stronger stored parameters stay.
        CPPUNIT_ASSERT(!current.needsRehash(
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"));
        CPPUNIT_ASSERT(current.needsRehash(
            "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"));
        CPPUNIT_ASSERT(current.needsRehash(
            "$argon2id$v=16$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"));
        CPPUNIT_ASSERT(current.needsRehash(
            "$argon2i$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"));
        CPPUNIT_ASSERT(
            current.needsRehash("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
        CPPUNIT_ASSERT(current.needsRehash(""));
        CPPUNIT_ASSERT(current.needsRehash("$argon2id$v=19$m=,t=2,p=1$"));
    }

    void parametersBelowTheFloorAreRefused()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(params(19456, 2)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(params(47104, 1)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(params(12288, 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(params(12288, 5)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), refusal(params(65536, 3, 4)));
        CPPUNIT_ASSERT(contains(refusal(params(19455, 2)), "auth.argon2.memory_kib"));
        CPPUNIT_ASSERT(contains(refusal(params(19455, 2)), "19456"));
        CPPUNIT_ASSERT(contains(refusal(params(47103, 1)), "auth.argon2.memory_kib"));
        CPPUNIT_ASSERT(contains(refusal(params(47103, 1)), "47104"));
        CPPUNIT_ASSERT(contains(refusal(params(12287, 3)), "auth.argon2.memory_kib"));
        CPPUNIT_ASSERT(contains(refusal(params(19456, 0)), "auth.argon2.iterations"));
        CPPUNIT_ASSERT(contains(refusal(params(19456, 2, 0)), "auth.argon2.parallelism"));
        CPPUNIT_ASSERT(contains(refusal(params(19456, 2), 0), "max_concurrent"));
    }

    void overlongPasswordsAreRefused()
    {
        PasswordHasher hasher({}, 1, 5s);
        const std::string tooLong(1025, 'p');
        CPPUNIT_ASSERT_THROW(hasher.hash(tooLong), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(hasher.verify("$argon2id$v=19$m=19456,t=2,p=1$x$y", tooLong),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(hasher.dummyVerify(tooLong), std::invalid_argument);
        const std::string longest(1024, 'p');
        CPPUNIT_ASSERT(hasher.verify(hasher.hash(longest), longest));
        CPPUNIT_ASSERT_EQUAL(0u, hasher.active());
    }

    void concurrencyIsCappedAndWaitersGiveUp()
    {
        // A deliberately slow parameter set so the first hash certainly outlasts the wait.
        PasswordHasher hasher(params(65536, 3), 1, 20ms);
        auto first = std::async(std::launch::async, [&] { return hasher.hash("first caller"); });
        waitUntilActive(hasher, 1);
        const auto start = Clock::now();
        CPPUNIT_ASSERT_THROW(hasher.verify("$argon2id$v=19$m=19456,t=2,p=1$x$y", "second"),
                             HasherBusy);
        CPPUNIT_ASSERT(millisecondsSince(start) >= 19.0);
        CPPUNIT_ASSERT_THROW(hasher.dummyVerify("third"), HasherBusy);
        const std::string encoded = first.get();
        CPPUNIT_ASSERT_EQUAL(0u, hasher.active());
        CPPUNIT_ASSERT(hasher.verify(encoded, "first caller"));
    }

    void waitersWithinTheLimitProceed()
    {
        PasswordHasher hasher({}, 2, 10s);
        std::atomic<bool> done{false};
        std::atomic<unsigned> highest{0};
        std::thread sampler([&] {
            while (!done) {
                const unsigned now = hasher.active();
                if (now > highest) {
                    highest = now;
                }
                std::this_thread::yield();
            }
        });
        std::vector<std::future<std::string>> hashes;
        for (int i = 0; i < 5; ++i) {
            hashes.push_back(std::async(std::launch::async, [&hasher, i] {
                return hasher.hash("caller " + std::to_string(i));
            }));
        }
        std::vector<std::string> results;
        for (auto& hash : hashes) {
            results.push_back(hash.get());
        }
        done = true;
        sampler.join();
        CPPUNIT_ASSERT_EQUAL(2u, highest.load());
        CPPUNIT_ASSERT(hasher.verify(results[4], "caller 4"));
    }

    void dummyVerifyCostsAsMuchAsAVerify()
    {
        PasswordHasher hasher({}, 1, 5s);
        const std::string encoded = hasher.hash("timing reference");
        hasher.dummyVerify("warm-up computes the fixed hash");

        auto start = Clock::now();
        CPPUNIT_ASSERT(hasher.verify(encoded, "timing reference"));
        const double verifyMs = millisecondsSince(start);
        start = Clock::now();
        hasher.dummyVerify("no such user's attempt");
        const double dummyMs = millisecondsSince(start);
        std::cout << "\n  argon2id verify at m=19456 KiB, t=2, p=1: " << verifyMs
                  << " ms (dummy verify " << dummyMs << " ms)" << std::endl;
        // Generous bound against machine noise; a dummy that skipped the KDF would take ~0 ms.
        CPPUNIT_ASSERT(dummyMs > verifyMs / 5);
        CPPUNIT_ASSERT_EQUAL(0u, hasher.active());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PasswordHasherTest);
