#include "CurlHandlePool.h"

#include <curl/curl.h>

#include <stdexcept>

namespace comfygate {

namespace {

void initialiseCurlOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("libcurl initialisation failed");
    });
}

} // namespace

CurlHandlePool::Lease::Lease(CurlHandlePool& pool, CURL* handle) : _pool(pool), _handle(handle) {}

CurlHandlePool::Lease::~Lease() { _pool.release(_handle); }

CurlHandlePool::CurlHandlePool(std::size_t maxIdle) : _maxIdle(maxIdle) { initialiseCurlOnce(); }

CurlHandlePool::~CurlHandlePool()
{
    for (CURL* handle : _idle)
        curl_easy_cleanup(handle);
}

CurlHandlePool::Lease CurlHandlePool::acquire()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (!_idle.empty()) {
            CURL* handle = _idle.back();
            _idle.pop_back();
            return Lease(*this, handle);
        }
    }
    CURL* handle = curl_easy_init();
    if (!handle)
        throw std::runtime_error("libcurl could not create a handle");
    return Lease(*this, handle);
}

void CurlHandlePool::release(CURL* handle)
{
    // Reset drops every option (and so every pointer into the caller's request) but keeps
    // the connection cache, which is the point of pooling.
    curl_easy_reset(handle);
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_idle.size() < _maxIdle) {
            _idle.push_back(handle);
            return;
        }
    }
    curl_easy_cleanup(handle);
}

} // namespace comfygate
