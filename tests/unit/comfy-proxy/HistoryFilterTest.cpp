#include "HistoryFilter.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <set>

using comfygate::comfyproxy::HistoryFilter;
using comfygate::comfyproxy::HistoryPage;
using comfygate::comfyproxy::JsonMembers;

namespace {

// Python's json.dumps style, as ComfyUI writes it; entries carry strings that look like JSON.
const std::string history =
    R"({"p1": {"prompt": [0, "p1", {"6": {"inputs": {"text": "a } \"fox\" {"}}}, {"client_id": "u1.c"}, ["9"]], )"
    R"("outputs": {}, "status": {"status_str": "success", "completed": true, "messages": []}}, )"
    R"("p2": {"prompt": [1, "p2", {}, {}, []], "outputs": {"9": {"images": [{"filename": "b [x].png"}]}}}, )"
    R"("p3": {"prompt": [2, "p3", {"6": {"inputs": {"text": "caf\u00e9 \\\" ]"}}}, {}, []], "outputs": {}}, )"
    R"("p4": {"prompt": [3, "p4", {}, {}, []], "outputs": {}})"
    "}";

auto keepOnly(std::set<std::string> ids)
{
    return [ids = std::move(ids)](const std::string& id) { return ids.count(id) != 0; };
}

std::string memberOf(const std::string& id)
{
    for (const auto& member : JsonMembers::of(history))
        if (member.key == id)
            return std::string(member.member);
    return {};
}

} // namespace

class HistoryFilterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HistoryFilterTest);
    CPPUNIT_TEST(everythingKeptIsTheSourceItself);
    CPPUNIT_TEST(severalHistoriesRenderAsOneList);
    CPPUNIT_TEST(keptEntriesAreCopiedByteForByte);
    CPPUNIT_TEST(promptIdsAreInComfyUIsOrder);
    CPPUNIT_TEST(pagingCountsOnlyTheKeptEntries);
    CPPUNIT_TEST(emptyHistories);
    CPPUNIT_TEST(comfyOrgKeysAreRemoved);
    CPPUNIT_TEST(aStringNamingTheKeysIsNotTouched);
    CPPUNIT_TEST(compactSourcesStayCompact);
    CPPUNIT_TEST(notAnObjectIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void everythingKeptIsTheSourceItself()
    {
        HistoryFilter filter(history);
        CPPUNIT_ASSERT_EQUAL(history, filter.render([](const std::string&) { return true; }, HistoryPage()));
    }

    void keptEntriesAreCopiedByteForByte()
    {
        HistoryFilter filter(history);
        const auto out = filter.render(keepOnly({"p1", "p3"}), HistoryPage());
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p1") + ", " + memberOf("p3") + "}", out);
        // and it is still JSON, with p1's text intact
        const auto parsed = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), parsed->size());
        CPPUNIT_ASSERT_EQUAL(std::string("a } \"fox\" {"), parsed->getObject("p1")
                                                               ->getArray("prompt")
                                                               ->getObject(2)
                                                               ->getObject("6")
                                                               ->getObject("inputs")
                                                               ->getValue<std::string>("text"));
    }

    void promptIdsAreInComfyUIsOrder()
    {
        CPPUNIT_ASSERT((std::vector<std::string>{"p1", "p2", "p3", "p4"}) == HistoryFilter(history).promptIds());
    }

    void pagingCountsOnlyTheKeptEntries()
    {
        HistoryFilter filter(history);
        const auto mine = keepOnly({"p1", "p2", "p4"});
        auto page = [&](std::optional<int> maxItems, std::optional<int> offset) {
            return filter.render(mine, HistoryPage(maxItems, offset));
        };
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p2") + ", " + memberOf("p4") + "}", page(2, std::nullopt)); // the last 2
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p2") + "}", page(1, 1));
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p4") + "}", page(5, 2));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), page(5, 3));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), page(0, std::nullopt));
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p1") + ", " + memberOf("p2") + ", " + memberOf("p4") + "}",
                             page(std::nullopt, 1)); // an offset alone changes nothing
    }

    void emptyHistories()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), HistoryFilter("{}").render(keepOnly({"p1"}), HistoryPage(3, 0)));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), HistoryFilter(history).render(keepOnly({}), HistoryPage()));
    }

    void comfyOrgKeysAreRemoved()
    {
        const std::string leaky =
            R"({"a": {"prompt": [0, "a", {}, {"client_id": "x", "api_key_comfy_org": "k1", "auth_token_comfy_org": "t"}, []], "outputs": {}}, )"
            R"("b": {"prompt": [1, "b", {}, {"client_id": "y"}, []], "outputs": {}}})";
        const auto out = HistoryFilter(leaky).render([](const std::string&) { return true; }, HistoryPage());
        CPPUNIT_ASSERT(out.find("comfy_org") == std::string::npos);
        CPPUNIT_ASSERT(out.find(R"("b": {"prompt": [1, "b", {}, {"client_id": "y"}, []], "outputs": {}})") !=
                       std::string::npos);
        const auto parsed = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("x"),
                             parsed->getObject("a")->getArray("prompt")->getObject(3)->getValue<std::string>("client_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), parsed->getNames().front());
    }

    void aStringNamingTheKeysIsNotTouched()
    {
        const std::string text = R"({"a": {"prompt": [0, "a", {"6": {"inputs": {"text": "api_key_comfy_org\""}}}, {}, []]}})";
        const auto out = HistoryFilter(text).render([](const std::string&) { return true; }, HistoryPage());
        const auto parsed = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("api_key_comfy_org\""), parsed->getObject("a")
                                                                     ->getArray("prompt")
                                                                     ->getObject(2)
                                                                     ->getObject("6")
                                                                     ->getObject("inputs")
                                                                     ->getValue<std::string>("text"));
    }

    void compactSourcesStayCompact()
    {
        const std::string compact = R"({"a":{"x":1},"b":{"y":2},"c":{"z":3}})";
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":{"x":1},"c":{"z":3}})"),
                             HistoryFilter(compact).render(keepOnly({"a", "c"}), HistoryPage()));
    }

    void notAnObjectIsRefused()
    {
        CPPUNIT_ASSERT_THROW(HistoryFilter("[]"), JsonMembers::Malformed);
        CPPUNIT_ASSERT_THROW(HistoryFilter("<html>"), JsonMembers::Malformed);
        CPPUNIT_ASSERT_THROW(HistoryFilter(R"({"a": {"b": 1})"), JsonMembers::Malformed);
    }

    void severalHistoriesRenderAsOneList()
    {
        // Two ComfyUI hosts' histories (comfy.upstreams): host after host, paged as one list.
        const std::string other = R"({"q1": {"outputs": {}}, "q2": {"outputs": {}}})";
        const HistoryFilter first(history), second(other);
        const std::vector<const HistoryFilter*> both{&first, &second};
        const auto all = HistoryFilter::render(both, keepOnly({"p2", "q1", "q2"}), HistoryPage());
        CPPUNIT_ASSERT_EQUAL("{" + memberOf("p2") + R"(, "q1": {"outputs": {}}, "q2": {"outputs": {}}})", all);
        const auto last = HistoryFilter::render(both, keepOnly({"p2", "q1", "q2"}), HistoryPage(2, std::nullopt));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"q1": {"outputs": {}}, "q2": {"outputs": {}}})"), last);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HistoryFilterTest);
