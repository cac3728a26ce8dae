#include "ShippedHooks.h"

#include "comfygate/Policy.h"

namespace comfygate {

void declareShippedHooks(Policy& policy)
{
    policy.declareHook({"groups", "adjusts a user's effective permissions", FailMode::Open});
    policy.declareHook({"view", "may this user see this output (NSFW)", FailMode::Closed});
    policy.declareHook({"prompt", "allow, deny or rewrite a submitted workflow", FailMode::Closed});
    policy.declareHook({"download", "allow or deny a model download request", FailMode::Closed});
    policy.declareHook({"login", "may this user sign in now (time, address, group); the reason is shown", FailMode::Closed});
    policy.declareHook({"register", "may this account be created", FailMode::Closed});
    policy.declareHook({"token", "allow, deny or rewrite an API token request (expiry, count)", FailMode::Closed});
    policy.declareHook({"upload", "allow or deny an upload (type, size)", FailMode::Closed});
    policy.declareHook({"queue", "set the ComfyUI priority of an accepted prompt (front or number)", FailMode::Open});
    policy.declareHook({"model", "may this user use this model in a prompt", FailMode::Closed});
    policy.declareHook({"event", "after the fact, asynchronous: execution_success, download_finished, login_failed",
                        FailMode::Open});
}

} // namespace comfygate
