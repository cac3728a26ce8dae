#pragma once

#include <Poco/JSON/Object.h>

#include <stdexcept>
#include <string>

namespace comfygate::civitaicatalog {

/// The answer of CivitAI's tRPC `image.getGenerationData` could not be read.
class MalformedEnvelope : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The generation payload unwrapped from a tRPC answer, and how it was wrapped.
struct GenerationData
{
    Poco::JSON::Object::Ptr payload;
    std::string wireFormat; ///< "superjson" (result.data.json) or "devalue" (result.data as a string)
};

/// Unwraps tRPC envelopes. CivitAI is moving from superjson to devalue pod by pod, so both
/// are read: `{"result":{"data":{"json":{…}}}}` and `{"result":{"data":"<devalue text>"}}`.
/// The devalue flat form is a JSON array whose element 0 is the root and whose objects and
/// arrays hold indexes into the array; negative indexes are undefined/NaN/±Infinity/-0
/// (read as null), typed arrays `["Date", iso]` become the ISO string and other typed values
/// (Map, Set, RegExp, BigInt…) null. Anything else is a MalformedEnvelope.
class GenerationEnvelope
{
public:
    static GenerationData parse(const std::string& body);
    static Poco::Dynamic::Var decodeDevalue(const std::string& text);
};

} // namespace comfygate::civitaicatalog
