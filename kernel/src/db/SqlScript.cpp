#include "SqlScript.h"

#include <Poco/String.h>

#include <stdexcept>

namespace comfygate {

SqlScript::SqlScript(const std::string& text)
{
    std::string current;
    bool hasCode = false;
    const auto flush = [&] {
        if (hasCode)
            _statements.push_back(Poco::trim(current));
        current.clear();
        hasCode = false;
    };

    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        const char c = text[i];
        const char next = i + 1 < size ? text[i + 1] : '\0';
        if (c == '\'' || c == '"') {
            const std::size_t close = text.find(c, i + 1);
            if (close == std::string::npos)
                throw std::invalid_argument("unterminated quoted text in SQL script: "
                                            + text.substr(i, 40));
            current.append(text, i, close + 1 - i);
            hasCode = true;
            i = close + 1;
        } else if (c == '-' && next == '-') {
            const std::size_t eol = text.find('\n', i);
            i = eol == std::string::npos ? size : eol;
        } else if (c == '/' && next == '*') {
            const std::size_t close = text.find("*/", i + 2);
            if (close == std::string::npos)
                throw std::invalid_argument("unterminated /* comment in SQL script");
            current += ' ';
            i = close + 2;
        } else if (c == ';') {
            flush();
            ++i;
        } else {
            current += c;
            if (!Poco::Ascii::isSpace(c))
                hasCode = true;
            ++i;
        }
    }
    flush();
}

} // namespace comfygate
