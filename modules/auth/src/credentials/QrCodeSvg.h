#pragma once

#include <string>

namespace comfygate::auth {

/// A QR code as an SVG document, encoded by libqrencode (error correction M) and drawn as one
/// path of dark modules with the standard quiet zone of four modules. The MFA enrolment
/// answer carries it, so the console shows the provisioning URI as an image without any
/// script of its own and without sending the secret to another service.
class QrCodeSvg
{
public:
    /// The SVG for `text`; throws std::runtime_error when libqrencode cannot encode it (too long).
    static std::string render(const std::string& text);
};

} // namespace comfygate::auth
