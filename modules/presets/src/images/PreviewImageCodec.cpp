#include "PreviewImageCodec.h"

#include "JpegDecoder.h"
#include "JpegEncoder.h"
#include "PngDecoder.h"
#include "PreviewImageError.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

#include <sstream>

namespace comfygate::presets {
namespace {

const std::string dataUrlPrefix = "data:image/";
const std::string base64Marker = ";base64,";

} // namespace

bool PreviewImageCodec::isDataUrl(const std::string& value)
{
    return value.rfind("data:", 0) == 0;
}

std::string PreviewImageCodec::decodeBase64(const std::string& text)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string bytes;
    try {
        bytes.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        throw PreviewImageError("The preview image is not valid base64.");
    }
    return bytes;
}

std::string PreviewImageCodec::fromDataUrl(const std::string& dataUrl, const std::string& metadata) const
{
    if (dataUrl.size() > _limits.maxDataUrlBytes)
        throw PreviewImageError("The preview image is too large (" + std::to_string(dataUrl.size()) +
                                " bytes; this server accepts up to " + std::to_string(_limits.maxDataUrlBytes) + ").");
    const std::size_t marker = dataUrl.find(base64Marker);
    if (dataUrl.rfind(dataUrlPrefix, 0) != 0 || marker == std::string::npos || marker > 64)
        throw PreviewImageError("The preview image must be a base64 data:image/... URL.");
    const std::string bytes = decodeBase64(dataUrl.substr(marker + base64Marker.size()));

    RasterImage raster;
    if (PngDecoder::looksLikePng(bytes))
        raster = PngDecoder::decode(bytes, _limits.maxPixels);
    else if (JpegDecoder::looksLikeJpeg(bytes))
        raster = JpegDecoder::decode(bytes, _limits.maxPixels, _limits.maxSide);
    else
        throw PreviewImageError("The preview image is not a PNG or JPEG image.");
    return JpegEncoder::encode(raster.scaledToFit(_limits.maxSide), _limits.jpegQuality, metadata);
}

std::string PreviewImageCodec::toDataUrl(const std::string& jpeg)
{
    std::ostringstream out;
    out << "data:image/jpeg;base64,";
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
    encoder.close();
    return out.str();
}

} // namespace comfygate::presets
