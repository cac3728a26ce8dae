#include "ObjectInfoSource.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

namespace comfygate::userdata {

Poco::JSON::Object::Ptr ObjectInfoSource::get()
{
    std::lock_guard<std::mutex> lock(_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (_cached && now - _fetchedAt < _ttl)
        return _cached;
    HttpClientRequest request;
    request.url = _url + "/object_info";
    request.connectTimeout = std::chrono::seconds(5);
    request.totalTimeout = std::chrono::seconds(15);
    request.followRedirects = false;
    HttpClientResponse response;
    try {
        response = _client.perform(request);
    } catch (const HttpClientError& e) {
        throw ComfyUnavailable("ComfyUI is not reachable at " + _url + ": " + e.what());
    }
    if (response.status != 200)
        throw ComfyUnavailable("ComfyUI at " + _url + " answered /object_info with HTTP " +
                               std::to_string(response.status));
    try {
        // Key order matters: without input_order, widgets follow the order of the inputs.
        Poco::Dynamic::Var parsed = Poco::JSON::Parser(new Poco::JSON::ParseHandler(true)).parse(response.body);
        _cached = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw ComfyUnavailable("ComfyUI at " + _url + " sent an /object_info that is not a JSON object: " + e.message());
    }
    _fetchedAt = now;
    return _cached;
}

bool ObjectInfoSource::reachable()
{
    try {
        get();
        return true;
    } catch (const ComfyUnavailable&) {
        return false;
    }
}

} // namespace comfygate::userdata
