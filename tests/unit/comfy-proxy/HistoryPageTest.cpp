#include "HistoryPage.h"

#include "comfygate/HttpError.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::HistoryPage;
using Range = std::pair<std::size_t, std::size_t>;

class HistoryPageTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HistoryPageTest);
    CPPUNIT_TEST(withoutMaxItemsEverything);
    CPPUNIT_TEST(maxItemsAloneIsTheLastN);
    CPPUNIT_TEST(maxItemsWithOffsetCountsFromTheOffset);
    CPPUNIT_TEST(queryValuesMustBeWholeNumbers);
    CPPUNIT_TEST_SUITE_END();

public:
    void withoutMaxItemsEverything()
    {
        CPPUNIT_ASSERT(Range(0, 7) == HistoryPage().range(7));
        CPPUNIT_ASSERT(Range(0, 7) == HistoryPage(std::nullopt, 3).range(7));
        CPPUNIT_ASSERT(Range(0, 7) == HistoryPage(-1, 3).range(7));
        CPPUNIT_ASSERT(Range(0, 0) == HistoryPage().range(0));
    }

    void maxItemsAloneIsTheLastN()
    {
        CPPUNIT_ASSERT(Range(4, 7) == HistoryPage(3, std::nullopt).range(7));
        CPPUNIT_ASSERT(Range(0, 7) == HistoryPage(30, std::nullopt).range(7));
        CPPUNIT_ASSERT(Range(7, 7) == HistoryPage(0, std::nullopt).range(7));
        CPPUNIT_ASSERT(Range(4, 7) == HistoryPage(3, -1).range(7)); // a negative offset is ComfyUI's default
    }

    void maxItemsWithOffsetCountsFromTheOffset()
    {
        CPPUNIT_ASSERT(Range(2, 5) == HistoryPage(3, 2).range(7));
        CPPUNIT_ASSERT(Range(6, 7) == HistoryPage(3, 6).range(7));
        CPPUNIT_ASSERT(Range(7, 7) == HistoryPage(3, 9).range(7));
    }

    void queryValuesMustBeWholeNumbers()
    {
        CPPUNIT_ASSERT(Range(1, 2) == HistoryPage::fromQuery(std::string("1"), std::string("1")).range(7));
        CPPUNIT_ASSERT_THROW(HistoryPage::fromQuery(std::string("x"), std::nullopt), comfygate::HttpError);
        CPPUNIT_ASSERT_THROW(HistoryPage::fromQuery(std::string("2"), std::string("1.5")), comfygate::HttpError);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HistoryPageTest);
