#include "comfygate/BoundedCache.h"

#include <cppunit/extensions/HelperMacros.h>

#include <thread>
#include <vector>

using comfygate::BoundedCache;

class BoundedCacheTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(BoundedCacheTest);
    CPPUNIT_TEST(testFindsWhatWasRemembered);
    CPPUNIT_TEST(testDropsTheLeastRecentlyUsed);
    CPPUNIT_TEST(testAnotherGenerationDropsEverything);
    CPPUNIT_TEST(testValueComputedUnderAnOldGenerationIsNotKept);
    CPPUNIT_TEST(testCapacityZeroHoldsNothing);
    CPPUNIT_TEST(testForget);
    CPPUNIT_TEST(testPairGeneration);
    CPPUNIT_TEST(testConcurrentUseStaysBounded);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFindsWhatWasRemembered()
    {
        BoundedCache<int> cache(3);
        CPPUNIT_ASSERT(!cache.find("a", 1));
        cache.remember("a", 10, 1, 1);
        CPPUNIT_ASSERT_EQUAL(10, *cache.find("a", 1));
        cache.remember("a", 11, 1, 1);
        CPPUNIT_ASSERT_EQUAL(11, *cache.find("a", 1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), cache.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), cache.hits());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cache.misses());
    }

    void testDropsTheLeastRecentlyUsed()
    {
        BoundedCache<int> cache(2);
        cache.remember("a", 1, 0, 0);
        cache.remember("b", 2, 0, 0);
        CPPUNIT_ASSERT(cache.find("a", 0)); // a is now more recent than b
        cache.remember("c", 3, 0, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.size());
        CPPUNIT_ASSERT(cache.find("a", 0));
        CPPUNIT_ASSERT(!cache.find("b", 0));
        CPPUNIT_ASSERT(cache.find("c", 0));
    }

    void testAnotherGenerationDropsEverything()
    {
        BoundedCache<int> cache(10);
        cache.remember("a", 1, 5, 5);
        cache.remember("b", 2, 5, 5);
        CPPUNIT_ASSERT(!cache.find("a", 6));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), cache.size());
        CPPUNIT_ASSERT(!cache.find("b", 5)); // going back is another generation too
    }

    void testValueComputedUnderAnOldGenerationIsNotKept()
    {
        BoundedCache<int> cache(10);
        cache.remember("a", 1, 5, 6);
        CPPUNIT_ASSERT(!cache.find("a", 6));
        CPPUNIT_ASSERT(!cache.find("a", 5));
    }

    void testCapacityZeroHoldsNothing()
    {
        BoundedCache<int> cache(0);
        cache.remember("a", 1, 0, 0);
        CPPUNIT_ASSERT(!cache.find("a", 0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), cache.size());
    }

    void testForget()
    {
        BoundedCache<int> cache(2);
        cache.remember("a", 1, 0, 0);
        cache.remember("b", 2, 0, 0);
        cache.forget("a");
        cache.forget("missing");
        CPPUNIT_ASSERT(!cache.find("a", 0));
        cache.remember("c", 3, 0, 0);
        cache.remember("d", 4, 0, 0); // the recency list stayed consistent: b goes
        CPPUNIT_ASSERT(!cache.find("b", 0));
        CPPUNIT_ASSERT(cache.find("c", 0) && cache.find("d", 0));
    }

    void testPairGeneration()
    {
        using Generation = std::pair<std::uint64_t, std::uint64_t>;
        BoundedCache<std::string, Generation> cache(4);
        cache.remember("k", "v", {1, 1}, {1, 1});
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *cache.find("k", {1, 1}));
        CPPUNIT_ASSERT(!cache.find("k", {1, 2}));
    }

    void testConcurrentUseStaysBounded()
    {
        BoundedCache<int> cache(50);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&cache, t] {
                for (int i = 0; i < 5000; ++i) {
                    const std::string key = std::to_string((i * 7 + t) % 200);
                    const std::uint64_t generation = i / 1000;
                    if (auto found = cache.find(key, generation))
                        CPPUNIT_ASSERT_EQUAL(std::stoi(key), *found);
                    else
                        cache.remember(key, std::stoi(key), generation, generation);
                }
            });
        }
        for (auto& thread : threads)
            thread.join();
        CPPUNIT_ASSERT(cache.size() <= 50);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BoundedCacheTest);
