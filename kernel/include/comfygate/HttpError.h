#pragma once

#include <stdexcept>
#include <string>

namespace comfygate {

/// Thrown by handlers (and by the kernel) to answer with an error. The kernel renders it in
/// the error style of the route's API family, so a handler never formats errors itself.
class HttpError : public std::runtime_error
{
public:
    /// @param status  HTTP status, 4xx or 5xx
    /// @param message text a person can act on; never contains secrets
    /// @param code    a stable machine code (SwarmUI `error_id`, Comfy Cloud `code`); optional
    HttpError(int status, const std::string& message, std::string code = {})
        : std::runtime_error(message), _status(status), _code(std::move(code))
    {
    }

    /// 400 for one bad query or body parameter: "<name>: <message>", code `invalid_parameter`,
    /// and `"parameter": "<name>"` in the body so a form can put the message next to its field.
    /// `name` is the parameter's identifier as the code spells it (letters, digits, `_`).
    static HttpError invalidParameter(const std::string& name, const std::string& message)
    {
        return HttpError(400, name + ": " + message, "invalid_parameter")
            .withExtra("{\"parameter\":\"" + name + "\"}");
    }

    int status() const { return _status; }
    const std::string& code() const { return _code; }

    /// Extra JSON members merged into the error body (e.g. `remaining_seconds`); a JSON object text.
    HttpError& withExtra(std::string jsonObject)
    {
        _extra = std::move(jsonObject);
        return *this;
    }
    const std::string& extra() const { return _extra; }

private:
    int _status;
    std::string _code;
    std::string _extra;
};

} // namespace comfygate
