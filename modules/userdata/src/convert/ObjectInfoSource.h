#pragma once

#include "comfygate/HttpClient.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>

namespace comfygate::userdata {

/// ComfyUI is not answering `/object_info`; the message says where it was asked.
class ComfyUnavailable : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// ComfyUI's `/object_info` (every node class with its inputs in widget order), which the
/// workflow converter needs; fetched from `comfy.url` and kept for `ttl`, so converting many
/// workflows asks ComfyUI once.
class ObjectInfoSource
{
public:
    ObjectInfoSource(HttpClient& client, std::string comfyUrl, std::chrono::seconds ttl)
        : _client(client), _url(std::move(comfyUrl)), _ttl(ttl)
    {
    }

    /// The current answer; throws ComfyUnavailable.
    Poco::JSON::Object::Ptr get();
    /// True when ComfyUI answered `/object_info` now or within the ttl.
    bool reachable();

private:
    HttpClient& _client;
    std::string _url;
    std::chrono::seconds _ttl;
    std::mutex _mutex;
    Poco::JSON::Object::Ptr _cached;
    std::chrono::steady_clock::time_point _fetchedAt;
};

} // namespace comfygate::userdata
