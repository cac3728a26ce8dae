#include "WorkflowConverter.h"

#include "ExecutionGraph.h"
#include "JsonField.h"
#include "WidgetValues.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

namespace comfygate::userdata {

WorkflowConverter::WorkflowConverter(Poco::JSON::Object::Ptr objectInfo) : _catalog(std::move(objectInfo)) {}

bool WorkflowConverter::isUiWorkflow(const Poco::JSON::Object::Ptr& workflow)
{
    return !JsonField::array(workflow, "nodes").isNull();
}

Poco::JSON::Object::Ptr WorkflowConverter::convert(const Poco::JSON::Object::Ptr& uiWorkflow) const
{
    if (!uiWorkflow)
        throw WorkflowConversionError("the workflow is not a JSON object");
    // Whatever slips past the checks (a cast on an odd value) is still the workflow's fault.
    try {
        return convertGraph(uiWorkflow);
    } catch (const WorkflowConversionError&) {
        throw;
    } catch (const Poco::Exception& e) {
        throw WorkflowConversionError("the workflow is malformed: " + e.displayText());
    } catch (const std::logic_error& e) {
        throw WorkflowConversionError(std::string("the workflow is malformed: ") + e.what());
    }
}

Poco::JSON::Object::Ptr WorkflowConverter::convertGraph(const Poco::JSON::Object::Ptr& uiWorkflow) const
{
    const ExecutionGraph graph(_catalog, uiWorkflow);
    Poco::JSON::Object::Ptr prompt = new Poco::JSON::Object;
    for (const auto& node : graph.nodes()) {
        if (node.mode == ExecutionGraph::ModeNever || node.mode == ExecutionGraph::ModeBypass || node.inner ||
            ExecutionGraph::isVirtual(node.type))
            continue;
        if (!_catalog.knows(node.type))
            throw WorkflowConversionError("node " + node.label() + ": unknown node type '" + node.type +
                                          "'; install the custom node that provides it or remove the node");

        const auto widgetsValues =
            node.json->has("widgets_values") ? node.json->get("widgets_values") : Poco::Dynamic::Var();
        auto inputs = WidgetValues::promptInputs(_catalog.widgetSlots(node.type), widgetsValues);
        const auto saved = JsonField::array(node.json, "inputs");
        for (std::size_t slot = 0; saved && slot < saved->size(); ++slot) {
            const auto resolved = graph.resolveInput(node, slot);
            if (resolved.kind == ResolvedInput::Kind::Nothing)
                continue;
            const auto name = JsonField::string(saved->getObject(slot), "name");
            if (name.empty())
                throw WorkflowConversionError("node " + node.label() + ": input " + std::to_string(slot) +
                                              " has no name");
            if (resolved.kind == ResolvedInput::Kind::Value) {
                inputs->set(name, WidgetValues::boxed(resolved.value));
            } else {
                Poco::JSON::Array::Ptr link = new Poco::JSON::Array;
                link->add(resolved.originId);
                link->add(resolved.originSlot);
                inputs->set(name, link);
            }
        }

        Poco::JSON::Object::Ptr meta = new Poco::JSON::Object;
        meta->set("title", JsonField::string(node.json, "title", _catalog.displayName(node.type)));
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("inputs", inputs);
        entry->set("class_type", node.type);
        entry->set("_meta", meta);
        prompt->set(node.id, entry);
    }
    dropLinksToMissingNodes(prompt);
    return prompt;
}

void WorkflowConverter::dropLinksToMissingNodes(const Poco::JSON::Object::Ptr& prompt)
{
    // Links into muted (or otherwise absent) nodes are removed, as the front end does last.
    for (const auto& id : prompt->getNames()) {
        Poco::JSON::Object::Ptr inputs = JsonField::object(prompt->getObject(id), "inputs");
        std::vector<std::string> dropped;
        for (const auto& [name, value] : *inputs) {
            if (value.type() != typeid(Poco::JSON::Array::Ptr))
                continue;
            const auto link = value.extract<Poco::JSON::Array::Ptr>();
            if (link->size() == 2 && link->get(0).isString() && !prompt->has(link->get(0).extract<std::string>()))
                dropped.push_back(name);
        }
        for (const auto& name : dropped)
            inputs->remove(name);
    }
}

} // namespace comfygate::userdata
