#pragma once

#include "DatabaseAudit.h"

namespace comfygate {

class HttpExchange;
class Router;

/// `GET /mss-login/api/admin/audit`: the audit log for the console, filtered by actor,
/// action prefix, target and time range, newest first, paged by a `next` cursor (an id).
/// Bad parameters answer 400 with `parameter` naming the one to fix.
class AuditSearchRoute
{
public:
    static constexpr std::size_t defaultLimit = 50;
    static constexpr std::size_t maxLimit = 200;

    explicit AuditSearchRoute(const DatabaseAudit& audit) : _audit(audit) {}

    /// Registers the route (permission can_view_audit) on `router` as the kernel's; the
    /// route keeps a reference to the audit, not to this object.
    void registerOn(Router& router);

    /// The filter the query parameters of `exchange` ask for; throws HttpError(400).
    static AuditFilter filterOf(const HttpExchange& exchange);

private:
    static void answer(const DatabaseAudit& audit, HttpExchange& exchange);

    const DatabaseAudit& _audit;
};

} // namespace comfygate
