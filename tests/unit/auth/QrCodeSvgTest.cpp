#include "QrCodeSvg.h"

#include <cppunit/extensions/HelperMacros.h>

#include <regex>
#include <stdexcept>
#include <string>

using comfygate::auth::QrCodeSvg;

namespace {

/// The dark modules of row `y` (in picture coordinates) as "x+width" runs, from the path.
std::string runsOfRow(const std::string& svg, int y)
{
    const std::regex run("M(\\d+) (\\d+)h(\\d+)v1h-\\3z");
    std::string runs;
    for (std::sregex_iterator it(svg.begin(), svg.end(), run), end; it != end; ++it) {
        if (std::stoi((*it)[2]) == y)
            runs += (*it)[1].str() + "+" + (*it)[3].str() + " ";
    }
    return runs;
}

bool startsWith(const std::string& text, const std::string& prefix)
{
    return text.rfind(prefix, 0) == 0;
}

bool endsWith(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

class QrCodeSvgTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(QrCodeSvgTest);
    CPPUNIT_TEST(versionOneHasItsSizeAndQuietZone);
    CPPUNIT_TEST(finderPatternsSitInThreeCorners);
    CPPUNIT_TEST(longerTextNeedsALargerSymbol);
    CPPUNIT_TEST(textTooLongForAnySymbolIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void versionOneHasItsSizeAndQuietZone()
    {
        // "HELLO" fits version 1 at level M: 21 modules plus 4 of quiet zone on each side.
        const std::string svg = QrCodeSvg::render("HELLO");
        CPPUNIT_ASSERT_MESSAGE(svg,
                               svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\"", 0) == 0);
        CPPUNIT_ASSERT(svg.find("<rect width=\"29\" height=\"29\" fill=\"#fff\"/>") != std::string::npos);
        // Nothing is drawn in the quiet zone.
        CPPUNIT_ASSERT_EQUAL(std::string(), runsOfRow(svg, 3));
        CPPUNIT_ASSERT_EQUAL(std::string(), runsOfRow(svg, 25));
    }

    void finderPatternsSitInThreeCorners()
    {
        const std::string svg = QrCodeSvg::render("HELLO");
        // Symbol row 0: the top-left and top-right finder patterns, 7 dark modules each, with
        // a light separator before the right one (the data between them varies).
        const std::string top = runsOfRow(svg, 4);
        CPPUNIT_ASSERT_MESSAGE(top, startsWith(top, "4+7 ") && endsWith(top, " 18+7 "));
        // Row 1: each finder is dark, 5 light, dark.
        const std::string second = runsOfRow(svg, 5);
        CPPUNIT_ASSERT_MESSAGE(second, startsWith(second, "4+1 10+1 ") && endsWith(second, " 18+1 24+1 "));
        // The bottom-left finder's last row, symbol row 20.
        CPPUNIT_ASSERT_MESSAGE(runsOfRow(svg, 24), startsWith(runsOfRow(svg, 24), "4+7 "));
    }

    void longerTextNeedsALargerSymbol()
    {
        const std::string svg = QrCodeSvg::render(
            "otpauth://totp/comfygate:maria?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=comfygate&algorithm=SHA1"
            "&digits=6&period=30");
        std::smatch size;
        CPPUNIT_ASSERT(std::regex_search(svg, size, std::regex("viewBox=\"0 0 (\\d+) \\1\"")));
        // Symbols are 17 + 4 * version modules wide; this text needs more than version 1.
        const int modules = std::stoi(size[1]) - 8;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(modules), modules > 21 && (modules - 17) % 4 == 0);
    }

    void textTooLongForAnySymbolIsRefused()
    {
        CPPUNIT_ASSERT_THROW(QrCodeSvg::render(std::string(5000, 'x')), std::runtime_error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QrCodeSvgTest);
