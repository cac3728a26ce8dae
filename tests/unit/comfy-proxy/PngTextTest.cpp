#include "PngText.h"
#include "PositivePrompt.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DeflatingStream.h>

#include <sstream>

using comfygate::comfyproxy::PngText;
using comfygate::comfyproxy::PositivePrompt;

namespace {

std::string chunk(const std::string& type, const std::string& data)
{
    std::string out;
    const auto length = static_cast<std::uint32_t>(data.size());
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((length >> shift) & 0xff);
    return out + type + data + std::string(4, '\0'); // the reader does not check CRCs
}

std::string deflate(const std::string& text)
{
    std::ostringstream out;
    Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_ZLIB);
    deflater << text;
    deflater.close();
    return out.str();
}

const std::string signature("\x89PNG\r\n\x1a\n", 8);

} // namespace

class PngTextTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PngTextTest);
    CPPUNIT_TEST(readsTextZtxtAndItxtBeforeTheImageData);
    CPPUNIT_TEST(keepsEveryByteItReadAndStopsAtIdat);
    CPPUNIT_TEST(stopsAtTheLimitAndOnGarbage);
    CPPUNIT_TEST(positivePromptFollowsThePositiveInputs);
    CPPUNIT_TEST(graphWithoutPositiveInputsSkipsNegativeTexts);
    CPPUNIT_TEST_SUITE_END();

public:
    void readsTextZtxtAndItxtBeforeTheImageData()
    {
        const std::string png = signature + chunk("IHDR", std::string(13, '\0')) +
                                chunk("tEXt", std::string("prompt\0{\"a\":1}", 14)) +
                                chunk("zTXt", std::string("workflow\0\0", 10) + deflate("{\"w\":2}")) +
                                chunk("iTXt", std::string("plain\0\0\0en\0\0", 12) + "hello") +
                                chunk("iTXt", std::string("packed\0\1\0\0\0", 11) + deflate("zipped")) +
                                chunk("IDAT", "xxxx") + chunk("tEXt", std::string("late\0no", 7));
        const auto texts = PngText::parse(png);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"a\":1}"), texts.at("prompt"));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"w\":2}"), texts.at("workflow"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), texts.at("plain"));
        CPPUNIT_ASSERT_EQUAL(std::string("zipped"), texts.at("packed"));
        CPPUNIT_ASSERT(!texts.count("late"));
    }

    void keepsEveryByteItReadAndStopsAtIdat()
    {
        const std::string head = signature + chunk("tEXt", std::string("k\0v", 3));
        const std::string png = head + chunk("IDAT", std::string(100000, 'z')) + chunk("IEND", "");
        std::istringstream in(png);
        std::string read;
        PngText::read(in, read);
        CPPUNIT_ASSERT_EQUAL(head.size() + 8, read.size()); // the IDAT chunk's header, not its data
        CPPUNIT_ASSERT(png.compare(0, read.size(), read) == 0);
        // Not a PNG: only the signature's worth is read.
        std::istringstream jpeg(std::string("\xff\xd8\xff\xe0 and more bytes", 20));
        std::string jpegHead;
        CPPUNIT_ASSERT(PngText::read(jpeg, jpegHead).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), jpegHead.size());
    }

    void stopsAtTheLimitAndOnGarbage()
    {
        const std::string big = signature + chunk("tEXt", "k" + std::string(1, '\0') + std::string(5000, 'v'));
        CPPUNIT_ASSERT(PngText::parse(big, 1000).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), PngText::parse(big, 10000).size());
        const std::string truncated = signature + chunk("tEXt", std::string("k\0v", 3)).substr(0, 9);
        CPPUNIT_ASSERT(PngText::parse(truncated).empty());
        const std::string badZip = signature + chunk("zTXt", std::string("k\0\0", 3) + "not zlib");
        CPPUNIT_ASSERT(PngText::parse(badZip).empty());
    }

    void positivePromptFollowsThePositiveInputs()
    {
        const std::string graph =
            R"({"6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red dragon","clip":["4",1]}},)"
            R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"nsfw, nude","clip":["4",1]}},)"
            R"("10":{"class_type":"CLIPTextEncodeSDXL","inputs":{"text_g":"castle","text_l":"sky","clip":["4",1]}},)"
            R"("11":{"class_type":"ConditioningCombine","inputs":{"conditioning_1":["6",0],"conditioning_2":["10",0]}},)"
            R"("4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"m.safetensors"}},)"
            R"("3":{"class_type":"KSampler","inputs":{"positive":["11",0],"negative":["7",0],"model":["4",0]}}})";
        const std::string text = PositivePrompt::fromGraphJson(graph);
        CPPUNIT_ASSERT(text.find("a red dragon") != std::string::npos);
        CPPUNIT_ASSERT(text.find("castle") != std::string::npos);
        CPPUNIT_ASSERT(text.find("sky") != std::string::npos);
        CPPUNIT_ASSERT(text.find("nude") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), PositivePrompt::fromGraphJson("not json"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), PositivePrompt::fromGraphJson("[1,2]"));
    }

    void graphWithoutPositiveInputsSkipsNegativeTexts()
    {
        const std::string graph =
            R"({"6":{"class_type":"CLIPTextEncode","inputs":{"text":"a lighthouse"}},)"
            R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"blurry"}},)"
            R"("8":{"class_type":"Guider","inputs":{"conditioning":["6",0],"negative":["7",0]}}})";
        CPPUNIT_ASSERT_EQUAL(std::string("a lighthouse"), PositivePrompt::fromGraphJson(graph));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PngTextTest);
