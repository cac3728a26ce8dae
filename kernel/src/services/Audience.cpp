#include "comfygate/EventBus.h"
#include "comfygate/Principal.h"

namespace comfygate {

bool Audience::includes(const Principal& principal) const
{
    switch (kind) {
    case Kind::User:
        return principal.authenticated && !value.empty() && principal.userId == value;
    case Kind::Role:
        // Anonymous principals carry role "guest" by default; role events are for accounts.
        return principal.authenticated && !value.empty() && principal.role == value;
    case Kind::Everyone:
        return true;
    }
    return false;
}

} // namespace comfygate
