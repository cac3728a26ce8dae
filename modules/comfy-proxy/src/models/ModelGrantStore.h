#pragma once

#include "comfygate/Database.h"
#include "comfygate/services/ModelGrants.h"

#include <functional>

namespace comfygate::comfyproxy {

/// The grant rows in `comfy_model_grants`, published as the "comfy.model_grants" service.
class ModelGrantStore : public services::ModelGrants
{
public:
    using Clock = std::function<std::int64_t()>; ///< Unix seconds

    explicit ModelGrantStore(Database& database, Clock clock = {});

    bool isAllowed(const Principal& principal, const std::string& folder, const std::string& item) override;
    std::vector<services::ModelGrant> activeFor(const Principal& principal) override;
    bool grant(const services::ModelGrant& grant) override;
    bool revoke(services::GrantSubject kind, const std::string& subject, const std::string& folder,
                const std::string& itemName) override;
    std::vector<services::ModelGrant> list(services::GrantSubject kind, const std::string& subject) override;

    /// True when one of `grants` covers folder/item (exact name or glob).
    static bool covers(const std::vector<services::ModelGrant>& grants, const std::string& folder,
                       const std::string& item);

    static const char* kindName(services::GrantSubject kind);

private:
    std::vector<services::ModelGrant> select(const std::string& where, const std::vector<std::string>& values);

    Database& _database;
    Clock _clock;
};

} // namespace comfygate::comfyproxy
