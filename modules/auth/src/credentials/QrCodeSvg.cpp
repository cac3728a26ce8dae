#include "QrCodeSvg.h"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace comfygate::auth {
namespace {

constexpr int quietZone = 4;

} // namespace

std::string QrCodeSvg::render(const std::string& text)
{
    const std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
    if (!code)
        throw std::runtime_error("the QR code cannot hold " + std::to_string(text.size()) + " bytes");
    const int width = code->width;
    const int size = width + 2 * quietZone;
    std::string path;
    for (int y = 0; y < width; ++y) {
        for (int x = 0; x < width;) {
            // Bit 0 of each byte is the module's colour (1 = dark); the other bits say what
            // kind of module it is, which a picture does not need.
            if (!(code->data[y * width + x] & 1)) {
                ++x;
                continue;
            }
            int run = 1;
            while (x + run < width && (code->data[y * width + x + run] & 1))
                ++run;
            path += "M" + std::to_string(x + quietZone) + " " + std::to_string(y + quietZone) + "h" +
                    std::to_string(run) + "v1h-" + std::to_string(run) + "z";
            x += run;
        }
    }
    const std::string box = std::to_string(size);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + box + " " + box +
           "\" shape-rendering=\"crispEdges\"><rect width=\"" + box + "\" height=\"" + box +
           "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

} // namespace comfygate::auth
