#pragma once

#include "comfygate/Principal.h"

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate::services {

/// Who a model grant is for: one user (by user id) or everyone whose role or groups
/// contain a group name.
enum class GrantSubject
{
    User,
    Group
};

/// One grant: `subject` may use `folder`/`itemName`. `itemName` is a path relative to the
/// model folder as ComfyUI lists it ("sdxl/base.safetensors"), or a glob where `*` matches
/// any run of characters, `/` included ("sdxl/*", "*" for the whole folder).
struct ModelGrant
{
    GrantSubject kind = GrantSubject::User;
    std::string subject;  ///< user id, or group name
    std::string folder;   ///< ComfyUI model folder key, e.g. "checkpoints"
    std::string itemName;
    std::string sourceBackend = "local"; ///< "local", "s3" or "unknown"
    std::string grantedByUserId;         ///< empty for grants made by the system
    std::string grantedByRole;
    std::int64_t createdAt = 0; ///< Unix seconds
    std::int64_t expiresAt = 0; ///< Unix seconds; 0 = never
};

/// Which models a user may use while model isolation is on (published by the comfy-proxy
/// module as "comfy.model_grants"; the model-download module grants a finished download to
/// the user who asked for it). Owner and admin bypasses are the caller's business: this
/// service only answers from the grant rows.
class ModelGrants
{
public:
    static constexpr const char* serviceName = "comfy.model_grants";

    virtual ~ModelGrants() = default;

    /// True when a grant that has not expired covers the item for the principal's user id,
    /// role or one of its groups.
    virtual bool isAllowed(const Principal& principal, const std::string& folder, const std::string& item) = 0;

    /// The principal's grants that have not expired (user, role and group grants together),
    /// for callers that test many items at once.
    virtual std::vector<ModelGrant> activeFor(const Principal& principal) = 0;

    /// Adds a grant (createdAt is set now when 0). False when the same subject already holds
    /// the same folder/itemName. Throws std::invalid_argument for a folder or item name that
    /// is empty, absolute, contains `..`, a backslash or control characters.
    virtual bool grant(const ModelGrant& grant) = 0;

    /// Removes a grant; false when there was none.
    virtual bool revoke(GrantSubject kind, const std::string& subject, const std::string& folder,
                        const std::string& itemName) = 0;

    /// Every grant of one subject (expired ones included), oldest first.
    virtual std::vector<ModelGrant> list(GrantSubject kind, const std::string& subject) = 0;
};

} // namespace comfygate::services
