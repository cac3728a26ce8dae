#pragma once

#include "NodeCatalog.h"
#include "WorkflowConversionError.h"

#include <Poco/JSON/Object.h>

namespace comfygate::userdata {

/// Turns a UI workflow as ComfyUI's front end saves it (`nodes`, `links`, `widgets_values`,
/// `definitions.subgraphs`, `extra.groupNodes`; versions 0.4 and 1.0) into the API prompt
/// the front end's graphToPrompt would queue:
/// `{"<id>": {"class_type": ..., "inputs": {...}, "_meta": {"title": ...}}}`.
///
/// Widget values are mapped with the node classes of `/object_info`; links are resolved
/// through reroutes, primitive nodes, bypassed nodes (mode 4) and subgraph or group node
/// boundaries; muted nodes (mode 2) and front-end-only nodes are left out, and inputs that
/// led to them are dropped. Inner nodes of subgraphs and group nodes get the ids
/// "<instance id>:<inner id>".
class WorkflowConverter
{
public:
    /// `objectInfo` is the `/object_info` answer. Parse it with an order-preserving
    /// Poco::JSON::ParseHandler when it lacks `input_order`.
    explicit WorkflowConverter(Poco::JSON::Object::Ptr objectInfo);

    /// True when `workflow` looks like a UI workflow (has a "nodes" array); an API prompt is
    /// returned unchanged by callers.
    static bool isUiWorkflow(const Poco::JSON::Object::Ptr& workflow);

    /// The API prompt for `uiWorkflow`. Throws WorkflowConversionError, naming the node, when
    /// the workflow is malformed or uses a node class the backend does not have.
    Poco::JSON::Object::Ptr convert(const Poco::JSON::Object::Ptr& uiWorkflow) const;

private:
    Poco::JSON::Object::Ptr convertGraph(const Poco::JSON::Object::Ptr& uiWorkflow) const;
    static void dropLinksToMissingNodes(const Poco::JSON::Object::Ptr& prompt);

    NodeCatalog _catalog;
};

} // namespace comfygate::userdata
