// The pure parts of the image route: LoRA tags and clean prompts, negative-prompt embeddings,
// the 60 % name overlap, the generation type, and tRPC envelopes (superjson, devalue, broken).
#include "GenerationEnvelope.h"
#include "GenerationType.h"
#include "NameOverlap.h"
#include "PromptDependencies.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace comfygate::civitaicatalog;
using Poco::JSON::Object;

namespace {

Object::Ptr parseObject(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

std::string detect(const std::string& payload)
{
    return GenerationType::detect(*parseObject(payload));
}

} // namespace

class ImageParsingTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ImageParsingTest);
    CPPUNIT_TEST(loraTagsCarryNamesAndWeights);
    CPPUNIT_TEST(oddSpacingAndNestedParenthesesStillParse);
    CPPUNIT_TEST(malformedTagsAreLeftAlone);
    CPPUNIT_TEST(cleanPromptDropsTagsAndTidies);
    CPPUNIT_TEST(negativeEmbeddingsAreSingleTokenLines);
    CPPUNIT_TEST(nameWordsSplitOnPunctuationAndCamelCase);
    CPPUNIT_TEST(sixtyPercentOverlapIsTheThreshold);
    CPPUNIT_TEST(generationTypeFromTypeProcessTechniquesWorkflowAndBaseModels);
    CPPUNIT_TEST(superjsonEnvelopeIsUnwrapped);
    CPPUNIT_TEST(devalueStringIsDecoded);
    CPPUNIT_TEST(malformedEnvelopesAreRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void loraTagsCarryNamesAndWeights()
    {
        const auto tags =
            PromptDependencies::loraTags("a cat, <lora:detail_tweaker:0.8>, <LORA:Film Grain:-0.25> <lora:plain>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), tags.size());
        CPPUNIT_ASSERT_EQUAL(std::string("detail_tweaker"), tags[0].name);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.8, tags[0].weight, 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("Film Grain"), tags[1].name);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(-0.25, tags[1].weight, 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("plain"), tags[2].name);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, tags[2].weight, 1e-9);
        // A second weight (text encoder / UNet) is allowed; the first one counts.
        const auto twoWeights = PromptDependencies::loraTags("<lora:split:0.6:0.4>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), twoWeights.size());
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.6, twoWeights[0].weight, 1e-9);
    }

    void oddSpacingAndNestedParenthesesStillParse()
    {
        const auto tags =
            PromptDependencies::loraTags("((masterpiece)), (<lora:  spaced name :  0.5 >:1.2), [(< lora:inner:1 >)]");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tags.size());
        CPPUNIT_ASSERT_EQUAL(std::string("spaced name"), tags[0].name);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, tags[0].weight, 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("inner"), tags[1].name);
    }

    void malformedTagsAreLeftAlone()
    {
        const std::string prompt = "<lora:> <lora:name:abc> <lora::0.5> <hypernet:x:1> <lora:open:0.5";
        CPPUNIT_ASSERT(PromptDependencies::loraTags(prompt).empty());
        CPPUNIT_ASSERT_EQUAL(prompt, PromptDependencies::cleanPrompt(prompt));
        // A '<' inside does not swallow the tag that follows it.
        const auto tags = PromptDependencies::loraTags("<lora:a <lora:b:0.3>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tags.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b"), tags[0].name);
    }

    void cleanPromptDropsTagsAndTidies()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("a cat, sitting, (sunset:1.2)"),
            PromptDependencies::cleanPrompt("  a   cat, <lora:x:0.8>,\n sitting ,, <lora:y:1>  , (sunset:1.2),  "));
        CPPUNIT_ASSERT_EQUAL(std::string("portrait"), PromptDependencies::cleanPrompt("<lora:x:1>portrait<lora:y:1>"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), PromptDependencies::cleanPrompt(" <lora:x:1> , "));
    }

    void negativeEmbeddingsAreSingleTokenLines()
    {
        const auto names = PromptDependencies::negativeEmbeddings(
            "EasyNegative\n  bad-hands-5 ,\nembedding:ng_deepnegative_v1_75t\nlow quality, blurry\n(worst:1.4)\n"
            "\n1234\nEasyNegative\nverybadimagenegative_v1.3");
        const std::vector<std::string> expected{"EasyNegative", "bad-hands-5", "ng_deepnegative_v1_75t",
                                                "verybadimagenegative_v1.3"};
        CPPUNIT_ASSERT(expected == names);
        CPPUNIT_ASSERT(PromptDependencies::negativeEmbeddings("ugly, deformed, blurry").empty());
    }

    void nameWordsSplitOnPunctuationAndCamelCase()
    {
        CPPUNIT_ASSERT(NameOverlap::words("EasyNegative") == std::set<std::string>({"easy", "negative"}));
        CPPUNIT_ASSERT(NameOverlap::words("add_detail-v2.safetensors") ==
                       std::set<std::string>({"add", "detail", "v2", "safetensors"}));
        CPPUNIT_ASSERT(NameOverlap::words("FILM grain film") == std::set<std::string>({"film", "grain"}));
        CPPUNIT_ASSERT(NameOverlap::words(" _- ").empty());
    }

    void sixtyPercentOverlapIsTheThreshold()
    {
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, NameOverlap::share("add_detail", "Add Detail"), 1e-9);
        // 3 of 5 words: exactly 60 % → accepted.
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.6, NameOverlap::share("cyber punk neon", "Cyber Punk Neon Style XL"), 1e-9);
        CPPUNIT_ASSERT(NameOverlap::accepted("cyber punk neon", "Cyber Punk Neon Style XL"));
        // 2 of 4 words: 50 % → refused, whichever side has the extra words.
        CPPUNIT_ASSERT(!NameOverlap::accepted("cyber punk", "Cyber Punk Neon Style"));
        CPPUNIT_ASSERT(!NameOverlap::accepted("cyber punk neon style", "Cyber Punk"));
        CPPUNIT_ASSERT(!NameOverlap::accepted("", "anything"));
        CPPUNIT_ASSERT(NameOverlap::accepted("EasyNegative", "Easy Negative"));
    }

    void generationTypeFromTypeProcessTechniquesWorkflowAndBaseModels()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("t2i"), detect(R"({"type":"image","process":"txt2img"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2i"), detect(R"({"type":"image","process":"img2img + ControlNet"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2i"), detect(R"({"type":"image","process":"inpainting"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2i"),
                             detect(R"({"type":"image","process":"comfy","techniques":[{"id":1,"name":"img2img"}]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("t2v"), detect(R"({"type":"video"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2v"), detect(R"({"type":"video","meta":{"workflow":"img2vid"}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2v"),
                             detect(R"({"process":"comfy","resources":[{"baseModel":"Wan Video 14B i2v 720p"}]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("t2v"),
                             detect(R"({"process":"comfy","resources":[{"baseModel":"Hunyuan Video"}]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), detect(R"({"meta":{"prompt":"x"}})"));
    }

    void superjsonEnvelopeIsUnwrapped()
    {
        const auto data = GenerationEnvelope::parse(
            R"({"result":{"data":{"json":{"type":"image","meta":{"prompt":"p"}},"meta":{"values":{}}}}})");
        CPPUNIT_ASSERT_EQUAL(std::string("superjson"), data.wireFormat);
        CPPUNIT_ASSERT_EQUAL(std::string("image"), data.payload->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("p"), data.payload->getObject("meta")->getValue<std::string>("prompt"));
    }

    void devalueStringIsDecoded()
    {
        // {"type":"video","steps":[20,null],"meta":{"prompt":"p","at":Date}} in devalue's flat form.
        Object envelope;
        Object::Ptr result = new Object;
        result->set("data", std::string(R"([{"type":1,"steps":2,"meta":5},"video",[3,-1],20,"unused",)"
                                        R"({"prompt":6,"at":7},"p",["Date","2026-01-02T00:00:00.000Z"]])"));
        envelope.set("result", result);
        std::ostringstream body;
        envelope.stringify(body);
        const auto data = GenerationEnvelope::parse(body.str());
        CPPUNIT_ASSERT_EQUAL(std::string("devalue"), data.wireFormat);
        CPPUNIT_ASSERT_EQUAL(std::string("video"), data.payload->getValue<std::string>("type"));
        const auto steps = data.payload->getArray("steps");
        CPPUNIT_ASSERT_EQUAL(20, steps->getElement<int>(0));
        CPPUNIT_ASSERT(steps->isNull(1));
        const auto meta = data.payload->getObject("meta");
        CPPUNIT_ASSERT_EQUAL(std::string("p"), meta->getValue<std::string>("prompt"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T00:00:00.000Z"), meta->getValue<std::string>("at"));
    }

    void malformedEnvelopesAreRefused()
    {
        for (const char* body : {"not json", "[]", R"({"result":{}})", R"({"result":{"unexpected":true}})",
                                 R"({"result":{"data":{"meta":{}}}})", R"({"result":{"data":"not devalue"}})",
                                 R"({"result":{"data":"[0]"}})", R"({"result":{"data":"[{\"a\":9}]"}})",
                                 R"({"result":{"data":"[\"just a string\"]"}})"}) {
            bool refused = false;
            try {
                GenerationEnvelope::parse(body);
            } catch (const MalformedEnvelope&) {
                refused = true;
            }
            CPPUNIT_ASSERT_MESSAGE(body, refused);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ImageParsingTest);
