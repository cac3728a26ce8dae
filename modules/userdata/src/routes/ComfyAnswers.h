#pragma once

#include "UserDataName.h"

#include <string>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// The answers ComfyUI's userdata handlers give, shared by the userdata and settings routes:
/// plain texts, empty bodies, WORKFLOW_DENIED, and the mapping of the library's refusals.
class ComfyAnswers
{
public:
    static void text(HttpExchange& exchange, int status, const std::string& message);
    static void empty(HttpExchange& exchange, int status);
    static void workflowDenied(HttpExchange& exchange, const std::string& message);
    /// 409: `name` would be a file and a folder at once (ComfyUI's file system cannot hold that).
    static void nameConflict(HttpExchange& exchange, const std::string& name);

    /// Checks a file name from the client; answers 403 (outside the root) or 400 (invalid) and
    /// returns false when it is refused.
    static bool acceptName(HttpExchange& exchange, const std::string& name);

    /// Runs `work`, answering the library's refusals (WorkflowDenied 403, InvalidContent 400,
    /// QuotaExceeded 413) in ComfyUI's plain style.
    template <class Work>
    static void guarded(HttpExchange& exchange, Work&& work);

private:
    static void refuse(HttpExchange& exchange, std::exception_ptr error);
};

template <class Work>
void ComfyAnswers::guarded(HttpExchange& exchange, Work&& work)
{
    try {
        work();
    } catch (...) {
        refuse(exchange, std::current_exception());
    }
}

} // namespace comfygate::userdata
