#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>

namespace comfygate::userdata {

/// Parses any JSON text: an object, an array, or a bare scalar (`"dark"`, `42`, `true`,
/// `null`), which ComfyUI's settings accept but Poco's parser refuses at the top level.
/// Objects keep their key order.
class JsonText
{
public:
    /// Throws std::invalid_argument with the parser's message when `text` is not one JSON value.
    static Poco::Dynamic::Var parse(const std::string& text);
};

} // namespace comfygate::userdata
