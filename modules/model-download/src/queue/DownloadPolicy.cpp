#include "DownloadPolicy.h"

#include "comfygate/Policy.h"
#include "comfygate/PolicySubject.h"
#include "comfygate/Principal.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::modeldownload {

Poco::JSON::Object::Ptr requesterSubject(const DownloadSubject& requester)
{
    Principal principal;
    principal.authenticated = !requester.userId.empty();
    principal.userId = requester.userId;
    principal.username = requester.username;
    if (!requester.role.empty())
        principal.role = requester.role;
    principal.groups = requester.groups;
    return policySubject(principal);
}

std::optional<std::string> askDownloadPolicy(Policy& policy, const DownloadRequest& request,
                                             std::optional<std::int64_t> sizeBytes, const std::string& resolvedFileName)
{
    const Poco::JSON::Object::Ptr subject = requesterSubject(request.requester);

    Poco::JSON::Object::Ptr view = new Poco::JSON::Object;
    view->set("source", request.source);
    view->set("folder_type", request.folderType);
    view->set("destination_type", request.destinationType);
    view->set("filename", resolvedFileName.empty() ? request.filename : resolvedFileName);
    if (!request.modelVersionId.empty())
        view->set("model_version_id", request.modelVersionId);
    if (!request.repoId.empty())
        view->set("repo_id", request.repoId);
    if (!request.targetUsername.empty())
        view->set("target_username", request.targetUsername);
    if (sizeBytes && *sizeBytes >= 0)
        view->set("size_bytes", static_cast<Poco::Int64>(*sizeBytes));

    const Verdict verdict = policy.call("download", subject, view);
    if (verdict.allowed())
        return std::nullopt;
    return verdict.reason.empty() ? std::string("refused by the download policy") : verdict.reason;
}

} // namespace comfygate::modeldownload
