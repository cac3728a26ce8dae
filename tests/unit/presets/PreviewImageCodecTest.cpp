// PreviewImageCodec and its decoders: what becomes a stored preview JPEG and what is refused.
#include "PreviewImageCodec.h"
#include "JpegDecoder.h"
#include "PngDecoder.h"
#include "PreviewImageError.h"
#include "SampleImages.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>

using comfygate::presets::JpegDecoder;
using comfygate::presets::PngDecoder;
using comfygate::presets::PreviewImageCodec;
using comfygate::presets::PreviewImageError;
using comfygate::presets::PreviewLimits;
using namespace comfygate::test::presets;

namespace {

/// The refusal message of fromDataUrl, or "" when it succeeded.
std::string refusal(const PreviewImageCodec& codec, const std::string& url)
{
    try {
        codec.fromDataUrl(url, "");
    } catch (const PreviewImageError& e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class PreviewImageCodecTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PreviewImageCodecTest);
    CPPUNIT_TEST(pngBecomesSmallJpegWithMetadata);
    CPPUNIT_TEST(jpegIsScaledDownKeepingAspect);
    CPPUNIT_TEST(smallImagesKeepTheirSize);
    CPPUNIT_TEST(declaredTypeDoesNotMatter);
    CPPUNIT_TEST(alphaGoesOnWhiteAndGreyBecomesRgb);
    CPPUNIT_TEST(longMetadataSpansSeveralMarkers);
    CPPUNIT_TEST(textIsNotAnImage);
    CPPUNIT_TEST(truncatedImagesAreRefused);
    CPPUNIT_TEST(bombsAreRefusedBeforeDecoding);
    CPPUNIT_TEST(oversizedDataUrlsAreRefused);
    CPPUNIT_TEST(malformedDataUrlsAreRefused);
    CPPUNIT_TEST(exportRoundTrips);
    CPPUNIT_TEST_SUITE_END();

public:
    void pngBecomesSmallJpegWithMetadata()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const std::string jpeg = codec.fromDataUrl(dataUrl("image/png", pngFile(1024, 512)), R"({"prompt":"a cat"})");
        CPPUNIT_ASSERT(JpegDecoder::looksLikeJpeg(jpeg));
        const auto image = JpegDecoder::decode(jpeg, 1'000'000, 1024);
        CPPUNIT_ASSERT_EQUAL(256u, image.width);
        CPPUNIT_ASSERT_EQUAL(128u, image.height);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"prompt":"a cat"})"), JpegDecoder::comment(jpeg));
        // The gradient survives scaling: left dark red, right bright red.
        CPPUNIT_ASSERT(image.rgb[0] < 20);
        CPPUNIT_ASSERT(image.rgb[(255) * 3] > 235);
    }

    void jpegIsScaledDownKeepingAspect()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const auto image =
            JpegDecoder::decode(codec.fromDataUrl(dataUrl("image/jpeg", jpegFile(600, 2400)), ""), 1'000'000, 1024);
        CPPUNIT_ASSERT_EQUAL(64u, image.width);
        CPPUNIT_ASSERT_EQUAL(256u, image.height);
    }

    void smallImagesKeepTheirSize()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const auto image =
            JpegDecoder::decode(codec.fromDataUrl(dataUrl("image/png", pngFile(40, 30)), ""), 10'000, 1024);
        CPPUNIT_ASSERT_EQUAL(40u, image.width);
        CPPUNIT_ASSERT_EQUAL(30u, image.height);
    }

    void declaredTypeDoesNotMatter()
    {
        // The bytes decide: a PNG labelled image/jpeg is still read as the PNG it is.
        const PreviewImageCodec codec(PreviewLimits{});
        CPPUNIT_ASSERT(JpegDecoder::looksLikeJpeg(codec.fromDataUrl(dataUrl("image/jpeg", pngFile(8, 8)), "")));
        CPPUNIT_ASSERT(JpegDecoder::looksLikeJpeg(codec.fromDataUrl(dataUrl("image/webp", jpegFile(8, 8)), "")));
    }

    void alphaGoesOnWhiteAndGreyBecomesRgb()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        // A fully transparent black RGBA image previews as white, not black.
        const std::vector<unsigned char> transparent(16 * 16 * 4, 0);
        const auto clear = JpegDecoder::decode(
            codec.fromDataUrl(dataUrl("image/png", pngOf(16, 16, PNG_FORMAT_RGBA, transparent)), ""), 1000, 16);
        CPPUNIT_ASSERT(clear.rgb[0] > 245 && clear.rgb[1] > 245 && clear.rgb[2] > 245);
        // A grey PNG comes out as RGB with equal channels.
        const std::vector<unsigned char> grey(16 * 16, 100);
        const auto flat = JpegDecoder::decode(
            codec.fromDataUrl(dataUrl("image/png", pngOf(16, 16, PNG_FORMAT_GRAY, grey)), ""), 1000, 16);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16 * 16 * 3), flat.rgb.size());
        CPPUNIT_ASSERT(std::abs(int(flat.rgb[0]) - 100) <= 2 && flat.rgb[0] == flat.rgb[1] &&
                       flat.rgb[1] == flat.rgb[2]);
    }

    void longMetadataSpansSeveralMarkers()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const std::string metadata(150'000, 'm');
        const std::string jpeg = codec.fromDataUrl(dataUrl("image/png", pngFile(8, 8)), metadata);
        CPPUNIT_ASSERT_EQUAL(metadata, JpegDecoder::comment(jpeg));
        CPPUNIT_ASSERT_EQUAL(8u, JpegDecoder::decode(jpeg, 100, 8).width);
    }

    void textIsNotAnImage()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        CPPUNIT_ASSERT(
            contains(refusal(codec, dataUrl("image/png", "just some text, not a picture")), "not a PNG or JPEG"));
        CPPUNIT_ASSERT(contains(refusal(codec, dataUrl("image/png", "")), "not a PNG or JPEG"));
        // A PNG signature followed by garbage.
        CPPUNIT_ASSERT(
            contains(refusal(codec, dataUrl("image/png", pngFile(4, 4).substr(0, 8) + std::string(64, 'x'))), "PNG"));
    }

    void truncatedImagesAreRefused()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const std::string png = pngFile(300, 300);
        const std::string cutPng = refusal(codec, dataUrl("image/png", png.substr(0, png.size() / 2)));
        CPPUNIT_ASSERT_MESSAGE(cutPng, contains(cutPng, "damaged PNG"));
        const std::string jpeg = jpegFile(300, 300);
        const std::string cutJpeg = refusal(codec, dataUrl("image/jpeg", jpeg.substr(0, jpeg.size() / 2)));
        CPPUNIT_ASSERT_MESSAGE(cutJpeg, contains(cutJpeg, "damaged JPEG"));
        CPPUNIT_ASSERT_THROW(JpegDecoder::decode(jpeg.substr(0, 20), 1'000'000, 256), PreviewImageError);
    }

    void bombsAreRefusedBeforeDecoding()
    {
        PreviewLimits limits;
        limits.maxPixels = 1'000'000;
        const PreviewImageCodec codec(limits);
        const std::string bomb = refusal(codec, dataUrl("image/png", pngHeaderOnly(60000, 60000)));
        CPPUNIT_ASSERT_MESSAGE(bomb, contains(bomb, "too large (60000x60000 pixels)"));
        CPPUNIT_ASSERT(contains(refusal(codec, dataUrl("image/png", pngFile(1001, 1000))), "too large"));
        CPPUNIT_ASSERT(contains(refusal(codec, dataUrl("image/jpeg", jpegFile(2000, 600))), "too large (2000x600"));
        CPPUNIT_ASSERT_EQUAL(std::string(), refusal(codec, dataUrl("image/png", pngFile(1000, 1000))));
    }

    void oversizedDataUrlsAreRefused()
    {
        PreviewLimits limits;
        limits.maxDataUrlBytes = 2000;
        const PreviewImageCodec codec(limits);
        const std::string big = refusal(codec, dataUrl("image/png", std::string(4000, 'a')));
        CPPUNIT_ASSERT_MESSAGE(big, contains(big, "too large") && contains(big, "2000"));
    }

    void malformedDataUrlsAreRefused()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        CPPUNIT_ASSERT(contains(refusal(codec, "data:text/plain;base64,aGVsbG8="), "data:image/"));
        CPPUNIT_ASSERT(contains(refusal(codec, "data:image/png,rawbytes"), "data:image/"));
        CPPUNIT_ASSERT(contains(refusal(codec, "data:image/png;base64,!!!not*base64!!!"), "base64"));
    }

    void exportRoundTrips()
    {
        const PreviewImageCodec codec(PreviewLimits{});
        const std::string jpeg = codec.fromDataUrl(dataUrl("image/png", pngFile(16, 16)), "meta");
        const std::string url = PreviewImageCodec::toDataUrl(jpeg);
        CPPUNIT_ASSERT(url.rfind("data:image/jpeg;base64,", 0) == 0);
        CPPUNIT_ASSERT(url.find('\n') == std::string::npos);
        // Importing the export stores an equivalent image with the same metadata kept by the caller.
        CPPUNIT_ASSERT_EQUAL(16u, JpegDecoder::decode(codec.fromDataUrl(url, "meta"), 1000, 16).width);
        CPPUNIT_ASSERT(PngDecoder::looksLikePng(pngFile(2, 2)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PreviewImageCodecTest);
