#include "GenerationEnvelope.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace comfygate::civitaicatalog {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// A hostile or broken answer must not make us recurse without end or copy without bound.
constexpr int maxDepth = 64;
constexpr std::size_t maxNodes = 200000;

class DevalueReader
{
public:
    explicit DevalueReader(Array::Ptr values) : _values(std::move(values)) {}

    Var read(const Var& index, int depth)
    {
        if (!index.isInteger())
            throw MalformedEnvelope("devalue: a reference is not an integer");
        const auto position = index.convert<long long>();
        if (position < 0)
            return Var(); // undefined, hole, NaN, ±Infinity, -0
        if (position >= static_cast<long long>(_values->size()))
            throw MalformedEnvelope("devalue: a reference points past the value table");
        if (depth > maxDepth || ++_nodes > maxNodes)
            throw MalformedEnvelope("devalue: the value is nested too deep or too large");
        const Var value = _values->get(static_cast<unsigned>(position));
        if (value.type() == typeid(Object::Ptr)) {
            const auto source = value.extract<Object::Ptr>();
            Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            for (const auto& name : source->getNames())
                object->set(name, read(source->get(name), depth + 1));
            return object;
        }
        if (value.type() == typeid(Array::Ptr)) {
            const auto source = value.extract<Array::Ptr>();
            if (source->size() > 0 && source->get(0).isString())
                return typedValue(*source);
            Array::Ptr array = new Array;
            for (std::size_t i = 0; i < source->size(); ++i)
                array->add(read(source->get(static_cast<unsigned>(i)), depth + 1));
            return array;
        }
        return value;
    }

private:
    static Var typedValue(const Array& typed)
    {
        if (typed.getElement<std::string>(0) == "Date" && typed.size() > 1 && typed.get(1).isString())
            return typed.get(1);
        return Var();
    }

    Array::Ptr _values;
    std::size_t _nodes = 0;
};

Var parseJson(const std::string& text, const std::string& what)
{
    try {
        return Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        throw MalformedEnvelope(what + " is not JSON");
    }
}

Object::Ptr objectOf(const Var& value)
{
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

} // namespace

Var GenerationEnvelope::decodeDevalue(const std::string& text)
{
    const Var parsed = parseJson(text, "the devalue payload");
    if (parsed.type() != typeid(Array::Ptr) || parsed.extract<Array::Ptr>()->size() == 0)
        throw MalformedEnvelope("the devalue payload is not a non-empty array");
    return DevalueReader(parsed.extract<Array::Ptr>()).read(Var(0), 0);
}

GenerationData GenerationEnvelope::parse(const std::string& body)
{
    const auto root = objectOf(parseJson(body, "the CivitAI answer"));
    const auto result = root ? root->getObject("result") : nullptr;
    if (!result || !result->has("data"))
        throw MalformedEnvelope("the CivitAI answer has no result.data");
    const Var data = result->get("data");
    if (data.isString()) {
        auto payload = objectOf(decodeDevalue(data.extract<std::string>()));
        // A devalue pod may still wrap the value the superjson way.
        if (payload && payload->getObject("json"))
            payload = payload->getObject("json");
        if (!payload)
            throw MalformedEnvelope("the devalue payload is not an object");
        return {payload, "devalue"};
    }
    const auto dataObject = objectOf(data);
    const auto payload = dataObject ? dataObject->getObject("json") : nullptr;
    if (!payload)
        throw MalformedEnvelope("the CivitAI answer has no result.data.json object");
    return {payload, "superjson"};
}

} // namespace comfygate::civitaicatalog
