#pragma once

#include <chrono>
#include <string>

namespace comfygate::modeldownload {

/// How the resolvers talk to a source's API.
struct ResolverSettings
{
    std::string userAgent = "comfygate-downloader/1"; ///< never a browser's: CivitAI answers those with HTML
    int maxAttempts = 3;                              ///< network errors, 408, 429, 5xx (Retry-After honoured)
    std::chrono::milliseconds retryBaseDelay{1000};
    std::chrono::milliseconds retryMaxDelay{30000};
    std::chrono::milliseconds timeout{30000}; ///< per metadata request
};

} // namespace comfygate::modeldownload
