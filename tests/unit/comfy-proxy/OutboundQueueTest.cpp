#include "OutboundQueue.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::OutboundQueue;

namespace {

OutboundQueue::Frame json(const std::string& text)
{
    return {text, 0x81, false, false};
}
OutboundQueue::Frame preview(const std::string& bytes)
{
    return {bytes, 0x82, true, false};
}

} // namespace

class OutboundQueueTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(OutboundQueueTest);
    CPPUNIT_TEST(keepsOrderWithinTheLimit);
    CPPUNIT_TEST(previewsAreDroppedFirst);
    CPPUNIT_TEST(jsonThatDoesNotFitOverflows);
    CPPUNIT_TEST(controlFramesAreNotCounted);
    CPPUNIT_TEST(newerSnapshotReplacesAnUnsentOne);
    CPPUNIT_TEST_SUITE_END();

public:
    void newerSnapshotReplacesAnUnsentOne()
    {
        OutboundQueue queue(3);
        queue.push({"status 1", 0x81, false, false, true});
        queue.push(json("event"));
        // The newer state goes where it arrived; the older one is not sent.
        CPPUNIT_ASSERT(queue.push({"status 2", 0x81, false, false, true}) == OutboundQueue::Result::Queued);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), queue.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), queue.replacedSnapshots());
        for (int i = 3; i < 300; ++i) // a client behind on broadcasts never piles them up
            CPPUNIT_ASSERT(queue.push({"status " + std::to_string(i), 0x81, false, false, true}) ==
                           OutboundQueue::Result::Queued);
        CPPUNIT_ASSERT_EQUAL(std::string("event"), queue.pop()->payload);
        CPPUNIT_ASSERT_EQUAL(std::string("status 299"), queue.pop()->payload);
        CPPUNIT_ASSERT(!queue.pop());
    }

    void keepsOrderWithinTheLimit()
    {
        OutboundQueue queue(3);
        for (const char* text : {"a", "b", "c"})
            CPPUNIT_ASSERT(queue.push(json(text)) == OutboundQueue::Result::Queued);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), queue.pop()->payload);
        CPPUNIT_ASSERT_EQUAL(std::string("b"), queue.pop()->payload);
        CPPUNIT_ASSERT(queue.push(json("d")) == OutboundQueue::Result::Queued);
        CPPUNIT_ASSERT_EQUAL(std::string("c"), queue.pop()->payload);
        CPPUNIT_ASSERT_EQUAL(std::string("d"), queue.pop()->payload);
        CPPUNIT_ASSERT(!queue.pop());
    }

    void previewsAreDroppedFirst()
    {
        OutboundQueue queue(3);
        queue.push(json("a"));
        queue.push(preview("p1"));
        queue.push(json("b"));
        CPPUNIT_ASSERT(queue.push(preview("p2")) == OutboundQueue::Result::PreviewDropped); // the new preview goes
        CPPUNIT_ASSERT(queue.push(json("c")) == OutboundQueue::Result::PreviewDropped);     // p1 makes room
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), queue.droppedPreviews());
        for (const char* text : {"a", "b", "c"})
            CPPUNIT_ASSERT_EQUAL(std::string(text), queue.pop()->payload);
    }

    void jsonThatDoesNotFitOverflows()
    {
        OutboundQueue queue(2);
        queue.push(json("a"));
        queue.push(json("b"));
        CPPUNIT_ASSERT(queue.push(json("c")) == OutboundQueue::Result::Overflow);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), queue.size());
    }

    void controlFramesAreNotCounted()
    {
        OutboundQueue queue(1);
        queue.push(json("a"));
        CPPUNIT_ASSERT(queue.push({"pong", 0x8a, false, true}) == OutboundQueue::Result::Queued);
        queue.replaceWith({"close", 0x88, false, false});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), queue.size());
        CPPUNIT_ASSERT_EQUAL(std::string("close"), queue.pop()->payload);
        CPPUNIT_ASSERT(queue.push(json("b")) == OutboundQueue::Result::Queued);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboundQueueTest);
