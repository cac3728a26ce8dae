#include "HostListMerge.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <set>

namespace comfygate::comfyproxy {
namespace {

bool isArray(const Poco::Dynamic::Var& value)
{
    return value.type() == typeid(Poco::JSON::Array::Ptr);
}
bool isObject(const Poco::Dynamic::Var& value)
{
    return value.type() == typeid(Poco::JSON::Object::Ptr);
}

/// The option list of a combo input: `[[options], {...}]` or `["COMBO", {"options": [...]}]`.
Poco::JSON::Array::Ptr optionsOf(const Poco::Dynamic::Var& input)
{
    if (!isArray(input))
        return nullptr;
    const auto spec = input.extract<Poco::JSON::Array::Ptr>();
    if (spec->size() == 0)
        return nullptr;
    if (isArray(spec->get(0)))
        return spec->getArray(0);
    if (spec->get(0).isString() && spec->get(0).extract<std::string>() == "COMBO" && spec->size() > 1 &&
        isObject(spec->get(1)))
        return spec->getObject(1)->getArray("options");
    return nullptr;
}

void replaceOptions(const Poco::Dynamic::Var& input, const Poco::JSON::Array::Ptr& options)
{
    Poco::JSON::Array::Ptr spec = input.extract<Poco::JSON::Array::Ptr>();
    if (isArray(spec->get(0)))
        spec->set(0, options);
    else
        spec->getObject(1)->set("options", options);
}

} // namespace

Poco::Dynamic::Var HostListMerge::fetch(HttpExchange& exchange)
{
    Poco::Dynamic::Var merged;
    bool any = false;
    for (UpstreamHost* host : _hosts.reachable()) {
        UpstreamClient::Answer answer;
        try {
            answer = host->client().fetch("GET", exchange.request().getURI());
        } catch (const HttpError& e) {
            host->noteError(e.what());
            continue;
        }
        if (answer.status != 200) {
            if (!any) {
                UpstreamClient::relay(exchange, answer);
                return {};
            }
            continue;
        }
        Poco::Dynamic::Var parsed;
        try {
            Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
            parsed = parser.parse(answer.body);
        } catch (...) {
            throw HttpError(502, "ComfyUI at " + host->url() + " answered " + exchange.request().getURI() +
                                     " with something that is not JSON");
        }
        merged = any ? merge(merged, parsed, _hosts.merge() == UpstreamHosts::Merge::Intersection) : parsed;
        any = true;
    }
    if (!any)
        throw HttpError(
            502, "no ComfyUI host answered " + exchange.request().getURI() + ": comfygate upstreams shows their state",
            "upstream_unavailable");
    return merged;
}

Poco::Dynamic::Var HostListMerge::merge(const Poco::Dynamic::Var& left, const Poco::Dynamic::Var& right,
                                        bool intersection)
{
    if (isArray(left) && isArray(right))
        return mergeNames(left.extract<Poco::JSON::Array::Ptr>(), right.extract<Poco::JSON::Array::Ptr>(),
                          intersection);
    if (isObject(left) && isObject(right))
        return mergeNodes(left.extract<Poco::JSON::Object::Ptr>(), right.extract<Poco::JSON::Object::Ptr>(),
                          intersection);
    return left;
}

Poco::JSON::Array::Ptr HostListMerge::mergeNames(const Poco::JSON::Array::Ptr& left,
                                                 const Poco::JSON::Array::Ptr& right, bool intersection)
{
    std::set<std::string> inRight;
    for (std::size_t i = 0; i < right->size(); ++i)
        inRight.insert(right->get(static_cast<unsigned>(i)).toString());
    Poco::JSON::Array::Ptr merged = new Poco::JSON::Array;
    std::set<std::string> inLeft;
    for (std::size_t i = 0; i < left->size(); ++i) {
        const auto value = left->get(static_cast<unsigned>(i));
        inLeft.insert(value.toString());
        if (!intersection || inRight.count(value.toString()))
            merged->add(value);
    }
    if (!intersection)
        for (std::size_t i = 0; i < right->size(); ++i)
            if (!inLeft.count(right->get(static_cast<unsigned>(i)).toString()))
                merged->add(right->get(static_cast<unsigned>(i)));
    return merged;
}

Poco::JSON::Object::Ptr HostListMerge::mergeNodes(const Poco::JSON::Object::Ptr& left,
                                                  const Poco::JSON::Object::Ptr& right, bool intersection)
{
    Poco::JSON::Object::Ptr merged = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, node] : *left) {
        if (!right->has(name)) {
            if (!intersection)
                merged->set(name, node);
            continue;
        }
        if (isObject(node) && isObject(right->get(name))) {
            const auto inputs = node.extract<Poco::JSON::Object::Ptr>()->getObject("input");
            const auto other = right->getObject(name)->getObject("input");
            if (inputs && other) {
                for (const char* kind : {"required", "optional"})
                    if (inputs->getObject(kind) && other->getObject(kind))
                        mergeCombos(inputs->getObject(kind), other->getObject(kind), intersection);
            }
        }
        merged->set(name, node);
    }
    if (!intersection)
        for (const auto& [name, node] : *right)
            if (!left->has(name))
                merged->set(name, node);
    return merged;
}

void HostListMerge::mergeCombos(const Poco::JSON::Object::Ptr& inputs, const Poco::JSON::Object::Ptr& other,
                                bool intersection)
{
    for (const auto& [name, input] : *inputs) {
        const auto options = optionsOf(input);
        const auto otherOptions = other->has(name) ? optionsOf(other->get(name)) : nullptr;
        if (options && otherOptions)
            replaceOptions(input, mergeNames(options, otherOptions, intersection));
    }
}

} // namespace comfygate::comfyproxy
