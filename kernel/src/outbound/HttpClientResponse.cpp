#include "comfygate/HttpClient.h"

#include <Poco/String.h>

namespace comfygate {

std::optional<std::string> HttpClientResponse::header(const std::string& name) const
{
    for (const auto& [key, value] : headers) {
        if (Poco::icompare(key, name) == 0)
            return value;
    }
    return std::nullopt;
}

} // namespace comfygate
