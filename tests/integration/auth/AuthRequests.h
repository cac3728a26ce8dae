#pragma once

#include "HttpTestClient.h"

#include <Poco/JSON/Object.h>

#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>

namespace comfygate::test {

/// Request pieces the auth suites share: a bearer header and a flat JSON body of strings.
inline std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

inline std::string json(std::initializer_list<std::pair<const char*, std::string>> fields)
{
    Poco::JSON::Object object;
    for (const auto& [name, value] : fields)
        object.set(name, value);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace comfygate::test
