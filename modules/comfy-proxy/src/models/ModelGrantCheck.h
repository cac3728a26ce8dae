#pragma once

#include "ModelCatalog.h"
#include "comfygate/Principal.h"
#include "comfygate/services/ModelGrants.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <memory>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// Model isolation (experimental.model_isolation): which models a caller may list and use.
/// Owners, admins and holders of can_view_all_comfyui_items are not limited; everyone else
/// may use a model only through a grant (to them, their role or one of their groups).
/// A prompt is checked by looking at EVERY string in every node's inputs and asking the
/// model catalog whether it names a model file, whatever the node's class: custom loader
/// nodes cannot slip past a list of known loaders.
class ModelGrantCheck
{
public:
    ModelGrantCheck(ModelCatalog& catalog, services::ModelGrants& grants, bool enabled)
        : _catalog(catalog), _grants(grants), _enabled(enabled)
    {
    }

    bool enabled() const { return _enabled; }
    /// True when the caller is not limited by grants (isolation off, owner, admin, or
    /// can_view_all_comfyui_items).
    bool seesAll(const Principal& principal) const;

    /// True when the caller may use folder/item (always, for seesAll callers).
    bool mayUse(const Principal& principal, const std::string& folder, const std::string& item);

    /// Throws HttpError 403 code MODEL_NOT_ALLOWED (with folder, item_name, node_id, input)
    /// when the graph names a model file the caller may not use. No-op for seesAll callers.
    void checkPrompt(const Principal& principal, const Poco::JSON::Object::Ptr& graph);

    /// The names of GET /models/{folder} the caller may use.
    Poco::JSON::Array::Ptr filterFolder(const Principal& principal, const std::string& folder,
                                        const Poco::JSON::Array::Ptr& names);
    /// The names of GET /embeddings (file names without extension) the caller may use.
    Poco::JSON::Array::Ptr filterEmbeddings(const Principal& principal, const Poco::JSON::Array::Ptr& names);
    /// Removes the model files the caller may not use from every combo list of an
    /// /object_info answer ({ClassName: NodeInfo}), in place.
    void filterObjectInfo(const Principal& principal, const Poco::JSON::Object::Ptr& objectInfo);

private:
    /// The caller's grants with the catalog, asked once per request.
    class Caller;

    ModelCatalog& _catalog;
    services::ModelGrants& _grants;
    bool _enabled;
};

} // namespace comfygate::comfyproxy
