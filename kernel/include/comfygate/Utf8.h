#pragma once

#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>

#include <string>

namespace comfygate {

/// True when `text` is well-formed UTF-8. Stores check what clients send before keeping it:
/// JSON written back later must be readable again, and a percent-encoded URL can carry any byte.
/// Inline, so it is not part of the kernel's exported ABI.
inline bool isUtf8(const std::string& text)
{
    Poco::UTF8Encoding utf8;
    for (Poco::TextIterator it(text, utf8), end(text); it != end; ++it) {
        if (*it < 0)
            return false;
    }
    return true;
}

} // namespace comfygate
