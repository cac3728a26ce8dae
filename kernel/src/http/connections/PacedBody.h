#pragma once

namespace comfygate {

/// A request whose body is read at a minimum pace (HttpSession::beginBody): it can tell a body
/// cut off for arriving too slowly from one whose connection failed. Header-only, so code
/// that asks (HttpExchange) needs nothing of the connection classes to link.
class PacedBody
{
public:
    virtual ~PacedBody() = default;
    /// True when reading the body stopped because it arrived too slowly.
    virtual bool bodyTimedOut() const = 0;
};

} // namespace comfygate
