#pragma once

#include <stdexcept>
#include <string>

namespace comfygate::presets {

/// A preview image the server will not store; the message is shown to the user as-is.
class PreviewImageError : public std::runtime_error
{
public:
    explicit PreviewImageError(const std::string& message) : std::runtime_error(message) {}
};

} // namespace comfygate::presets
