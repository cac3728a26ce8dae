#pragma once

#include <string>

namespace comfygate::modeldownload {

/// Turns what a remote server answered into text fit for an error message a person reads:
/// bounded, printable, and preferring the server's own JSON explanation.
class ResponseText
{
public:
    /// `field` of a JSON object body as a string; empty when absent or not JSON.
    static std::string jsonField(const std::string& body, const std::string& field);

    /// The server's explanation: JSON `message`, else JSON `error`, else the start of the
    /// body; control characters replaced, at most `limit` bytes.
    static std::string explanation(const std::string& body, std::size_t limit = 200);

    /// `text` with control characters replaced by spaces and cut to `limit` bytes.
    static std::string printable(const std::string& text, std::size_t limit = 200);
};

} // namespace comfygate::modeldownload
