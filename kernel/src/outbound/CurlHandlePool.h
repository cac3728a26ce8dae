#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

typedef void CURL;

namespace comfygate {

/// A thread-safe stack of idle libcurl easy handles, so that consecutive requests reuse
/// connections, TLS sessions and the DNS cache. Initialises libcurl once per process.
class CurlHandlePool
{
public:
    /// A handle borrowed from the pool; returned (reset) when it goes out of scope.
    class Lease
    {
    public:
        Lease(CurlHandlePool& pool, CURL* handle);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        CURL* get() const { return _handle; }

    private:
        CurlHandlePool& _pool;
        CURL* _handle;
    };

    /// Keeps at most `maxIdle` idle handles; more concurrent callers get fresh ones.
    explicit CurlHandlePool(std::size_t maxIdle = 8);
    ~CurlHandlePool();
    CurlHandlePool(const CurlHandlePool&) = delete;
    CurlHandlePool& operator=(const CurlHandlePool&) = delete;

    /// An idle handle, or a new one. Throws std::runtime_error when libcurl cannot create one.
    Lease acquire();

private:
    void release(CURL* handle);

    std::size_t _maxIdle;
    std::mutex _mutex;
    std::vector<CURL*> _idle;
};

} // namespace comfygate
