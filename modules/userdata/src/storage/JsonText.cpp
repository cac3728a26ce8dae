#include "JsonText.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace comfygate::userdata {

Poco::Dynamic::Var JsonText::parse(const std::string& text)
{
    // Key order is kept (a workflow saved again reads the same). Wrapped in an array so a scalar parses too; exactly one element proves it was one value
    // (`1],[2` would give two).
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser(new Poco::JSON::ParseHandler(true)).parse("[" + text + "\n]");
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument(e.message());
    }
    const auto array = parsed.extract<Poco::JSON::Array::Ptr>();
    if (!array || array->size() != 1)
        throw std::invalid_argument("not a single JSON value");
    return array->get(0);
}

} // namespace comfygate::userdata
