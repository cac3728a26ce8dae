#include "JsonMembers.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <cstring>

namespace comfygate::comfyproxy {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The bytes that matter while skipping a container: everything else is stepped over in a tight loop.
constexpr std::array<bool, 256> structuralBytes()
{
    std::array<bool, 256> table{};
    for (unsigned char c : {'"', '{', '}', '[', ']'})
        table[c] = true;
    return table;
}
constexpr auto structural = structuralBytes();

class Scanner
{
public:
    explicit Scanner(std::string_view text) : _begin(text.data()), _p(text.data()), _end(text.data() + text.size()) {}

    std::vector<JsonMembers::Member> members()
    {
        std::vector<JsonMembers::Member> out;
        skipSpace();
        expect('{');
        skipSpace();
        if (peek() == '}') {
            ++_p;
            finish();
            return out;
        }
        for (;;) {
            const char* memberStart = _p;
            expect('"', false);
            const char* keyEnd = stringEnd(memberStart);
            _p = keyEnd + 1;
            skipSpace();
            expect(':');
            skipSpace();
            const char* valueStart = _p;
            skipValue();
            out.push_back({key(memberStart, keyEnd), view(memberStart, _p), view(valueStart, _p)});
            skipSpace();
            if (peek() == ',') {
                ++_p;
                skipSpace();
                continue;
            }
            expect('}');
            finish();
            return out;
        }
    }

private:
    [[noreturn]] void fail(const char* what) const
    {
        throw JsonMembers::Malformed(std::string(what) + " at byte " + std::to_string(_p - _begin));
    }

    char peek() const { return _p < _end ? *_p : '\0'; }

    void expect(char c, bool consume = true)
    {
        if (peek() != c)
            fail((std::string("expected '") + c + "'").c_str());
        if (consume)
            ++_p;
    }

    void skipSpace()
    {
        while (_p < _end && isSpace(*_p))
            ++_p;
    }

    void finish()
    {
        skipSpace();
        if (_p != _end)
            fail("text after the object");
    }

    /// The closing quote of the string opening at `quote`: the next quote not escaped by an
    /// odd run of backslashes.
    const char* stringEnd(const char* quote) const
    {
        const char* from = quote + 1;
        for (;;) {
            const auto* found = static_cast<const char*>(std::memchr(from, '"', static_cast<std::size_t>(_end - from)));
            if (!found)
                throw JsonMembers::Malformed("unterminated string at byte " + std::to_string(quote - _begin));
            std::size_t backslashes = 0;
            for (const char* b = found - 1; b > quote && *b == '\\'; --b)
                ++backslashes;
            if (backslashes % 2 == 0)
                return found;
            from = found + 1;
        }
    }

    void skipValue()
    {
        const char c = peek();
        if (c == '"') {
            _p = stringEnd(_p) + 1;
        } else if (c == '{' || c == '[') {
            skipContainer();
        } else {
            // A number, true, false or null: up to the next separator.
            const char* start = _p;
            while (_p < _end && !isSpace(*_p) && *_p != ',' && *_p != '}' && *_p != ']' && *_p != ':')
                ++_p;
            if (_p == start)
                fail("expected a value");
        }
    }

    void skipContainer()
    {
        std::string open; // the unclosed brackets, innermost last
        do {
            while (_p < _end && !structural[static_cast<unsigned char>(*_p)])
                ++_p;
            if (_p == _end)
                fail("unterminated object or array");
            switch (*_p) {
            case '"':
                _p = stringEnd(_p);
                break;
            case '{':
            case '[':
                open.push_back(*_p);
                break;
            default: // '}' or ']'
                if (open.empty() || open.back() != (*_p == '}' ? '{' : '['))
                    fail("mismatched bracket");
                open.pop_back();
            }
            ++_p;
        } while (!open.empty());
    }

    static std::string_view view(const char* from, const char* to)
    {
        return {from, static_cast<std::size_t>(to - from)};
    }

    static std::string key(const char* quote, const char* end)
    {
        const std::string_view raw = view(quote + 1, end);
        if (raw.find('\\') == std::string_view::npos)
            return std::string(raw);
        // Escaped keys are rare (prompt ids are uuids): let Poco's parser resolve them.
        try {
            return Poco::JSON::Parser().parse("[" + std::string(view(quote, end + 1)) + "]")
                .extract<Poco::JSON::Array::Ptr>()
                ->getElement<std::string>(0);
        } catch (const Poco::Exception&) {
            throw JsonMembers::Malformed("bad escape in the key " + std::string(raw));
        }
    }

    const char* _begin;
    const char* _p;
    const char* _end;
};

} // namespace

std::vector<JsonMembers::Member> JsonMembers::of(std::string_view text)
{
    return Scanner(text).members();
}

std::string_view JsonMembers::separatorOf(const std::vector<Member>& members)
{
    if (members.size() < 2)
        return ", ";
    const char* from = members[0].member.data() + members[0].member.size();
    const std::string_view between(from, static_cast<std::size_t>(members[1].member.data() - from));
    return between;
}

} // namespace comfygate::comfyproxy
