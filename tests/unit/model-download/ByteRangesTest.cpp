#include "ByteRanges.h"
#include "SourceResolver.h"
#include "TempDir.h"
#include "TransferState.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::modeldownload::ByteRange;
using comfygate::modeldownload::ByteRanges;
using comfygate::modeldownload::ResolvedFile;
using comfygate::modeldownload::TransferState;

namespace {

std::string text(const std::vector<ByteRange>& ranges)
{
    std::string out;
    for (const auto& range : ranges)
        out += "[" + std::to_string(range.begin) + "," + std::to_string(range.end) + ")";
    return out;
}

} // namespace

class ByteRangesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ByteRangesTest);
    CPPUNIT_TEST(testAddMergesTouchingAndOverlapping);
    CPPUNIT_TEST(testMissingIsCutIntoChunks);
    CPPUNIT_TEST(testPrefixAndCovered);
    CPPUNIT_TEST(testStateKeepsTheRanges);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAddMergesTouchingAndOverlapping()
    {
        ByteRanges ranges;
        ranges.add({100, 200});
        ranges.add({0, 50});
        ranges.add({300, 400});
        CPPUNIT_ASSERT_EQUAL(std::string("[0,50)[100,200)[300,400)"), text(ranges.list()));
        ranges.add({50, 100}); // touches both neighbours
        CPPUNIT_ASSERT_EQUAL(std::string("[0,200)[300,400)"), text(ranges.list()));
        ranges.add({150, 350});
        CPPUNIT_ASSERT_EQUAL(std::string("[0,400)"), text(ranges.list()));
        ranges.add({10, 10}); // empty
        ranges.add({20, 5});  // inverted
        ranges.add({-5, 3});  // negative
        CPPUNIT_ASSERT_EQUAL(std::string("[0,400)"), text(ranges.list()));
        CPPUNIT_ASSERT_EQUAL(std::string("[1,9)"), text(ByteRanges({{5, 9}, {1, 6}}).list()));
    }

    void testMissingIsCutIntoChunks()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("[0,4)[4,8)[8,10)"), text(ByteRanges().missing(10, 4)));
        const ByteRanges ranges({{2, 4}, {6, 7}});
        CPPUNIT_ASSERT_EQUAL(std::string("[0,2)[4,6)[7,10)"), text(ranges.missing(10, 100)));
        CPPUNIT_ASSERT_EQUAL(std::string(""), text(ByteRanges({{0, 10}}).missing(10, 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("[0,2)"), text(ByteRanges({{2, 50}}).missing(10, 3)));
    }

    void testPrefixAndCovered()
    {
        const ByteRanges ranges({{0, 30}, {50, 60}});
        CPPUNIT_ASSERT_EQUAL(std::int64_t(30), ranges.prefix());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(40), ranges.covered());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), ByteRanges({{1, 30}}).prefix());
    }

    void testStateKeepsTheRanges()
    {
        comfygate::test::TempDir dir;
        ResolvedFile file;
        file.downloadUrl = "https://example.org/file";
        file.sha256 = std::string(64, 'b');
        TransferState state = TransferState::describing(file);
        state.parallel = true;
        state.total = 1000;
        state.ranges = {{0, 100}, {500, 750}};
        state.save(dir.path() + "/x.part.json");
        const auto loaded = TransferState::load(dir.path() + "/x.part.json");
        CPPUNIT_ASSERT(loaded);
        CPPUNIT_ASSERT(loaded->parallel);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), loaded->total);
        CPPUNIT_ASSERT_EQUAL(std::string("[0,100)[500,750)"), text(loaded->ranges));
        TransferState sequential = TransferState::describing(file);
        sequential.save(dir.path() + "/y.part.json");
        CPPUNIT_ASSERT(!TransferState::load(dir.path() + "/y.part.json")->parallel);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ByteRangesTest);
