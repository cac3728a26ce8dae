#include "GroupNodeExpander.h"

#include "JsonField.h"
#include "LinkTable.h"
#include "WidgetValues.h"
#include "WorkflowConversionError.h"

#include <Poco/JSON/Array.h>

#include <map>
#include <set>
#include <vector>

namespace comfygate::userdata {

namespace {

const std::string groupPrefix = "workflow";

using SlotKey = std::pair<int, int>; // inner node index, slot

/// An inner input the group node shows as one of its own inputs or widgets.
struct Exposed
{
    int index;
    std::string innerName;
};

Poco::JSON::Object::Ptr link(const std::string& id, const std::string& originId, int originSlot,
                             const std::string& targetId, int targetSlot)
{
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("id", id);
    result->set("origin_id", originId);
    result->set("origin_slot", originSlot);
    result->set("target_id", targetId);
    result->set("target_slot", targetSlot);
    return result;
}

std::string inputName(const Poco::JSON::Array::Ptr& inputs, int slot)
{
    if (!inputs || slot < 0 || static_cast<std::size_t>(slot) >= inputs->size() ||
        inputs->get(slot).type() != typeid(Poco::JSON::Object::Ptr))
        return {};
    return JsonField::string(inputs->get(slot).extract<Poco::JSON::Object::Ptr>(), "name");
}

} // namespace

GroupNodeExpander::GroupNodeExpander(const NodeCatalog& catalog, Poco::JSON::Object::Ptr groupNodes)
    : _catalog(catalog), _groupNodes(std::move(groupNodes))
{
}

bool GroupNodeExpander::isGroupType(const std::string& type)
{
    return type.size() > groupPrefix.size() + 1 && type.compare(0, groupPrefix.size(), groupPrefix) == 0 &&
           (type[groupPrefix.size()] == '>' || type[groupPrefix.size()] == '/');
}

Poco::JSON::Object::Ptr GroupNodeExpander::expand(const Poco::JSON::Object::Ptr& instance,
                                                  const std::string& instanceId) const
{
    const auto type = JsonField::string(instance, "type");
    const auto name = type.substr(groupPrefix.size() + 1);
    const auto where = "group node " + instanceId + " (" + name + ")";
    const auto definition = JsonField::object(_groupNodes, name);
    if (!definition)
        throw WorkflowConversionError(where + ": extra.groupNodes has no definition '" + name + "'");
    const auto defNodes = JsonField::array(definition, "nodes");
    if (!defNodes)
        throw WorkflowConversionError(where + ": the definition has no nodes");

    std::vector<Poco::JSON::Object::Ptr> inner;
    for (std::size_t i = 0; i < defNodes->size(); ++i) {
        if (defNodes->get(i).type() != typeid(Poco::JSON::Object::Ptr))
            throw WorkflowConversionError(where + ": inner node #" + std::to_string(i) + " is not an object");
        inner.push_back(defNodes->get(i).extract<Poco::JSON::Object::Ptr>());
    }
    const auto innerAt = [&](int index) -> const Poco::JSON::Object::Ptr& {
        if (index < 0 || static_cast<std::size_t>(index) >= inner.size())
            throw WorkflowConversionError(where + ": a link names inner node " + std::to_string(index) +
                                          ", which does not exist");
        return inner[index];
    };

    // Links inside the group, and which inner inputs and outputs they occupy.
    std::vector<std::pair<SlotKey, SlotKey>> internal;
    std::set<std::pair<int, std::string>> linkedInputs;
    std::set<SlotKey> linkedOutputs;
    if (const auto links = JsonField::array(definition, "links")) {
        for (std::size_t i = 0; i < links->size(); ++i) {
            if (links->get(i).type() != typeid(Poco::JSON::Array::Ptr))
                throw WorkflowConversionError(where + ": an inner link is not an array");
            const auto fields = links->get(i).extract<Poco::JSON::Array::Ptr>();
            if (fields->size() < 4)
                throw WorkflowConversionError(where + ": an inner link has fewer than 4 fields");
            const SlotKey from{JsonField::integer(fields->get(0), where + ": inner link origin"),
                               JsonField::integer(fields->get(1), where + ": inner link origin slot")};
            const SlotKey to{JsonField::integer(fields->get(2), where + ": inner link target"),
                             JsonField::integer(fields->get(3), where + ": inner link target slot")};
            const auto targetName = inputName(JsonField::array(innerAt(to.first), "inputs"), to.second);
            innerAt(from.first);
            internal.emplace_back(from, to);
            linkedInputs.emplace(to.first, targetName);
            linkedOutputs.insert(from);
        }
    }
    std::set<SlotKey> external;
    if (const auto entries = JsonField::array(definition, "external")) {
        for (std::size_t i = 0; i < entries->size(); ++i) {
            if (entries->get(i).type() != typeid(Poco::JSON::Array::Ptr))
                continue;
            const auto fields = entries->get(i).extract<Poco::JSON::Array::Ptr>();
            if (fields->size() >= 2)
                external.emplace(JsonField::integer(fields->get(0), where + ": external node"),
                                 JsonField::integer(fields->get(1), where + ": external slot"));
        }
    }

    // The group node's own inputs and widgets: every inner input not linked inside, named as
    // the front end names them (a repeated name gets the inner node's title in front).
    std::map<std::string, Exposed> exposed;
    std::set<std::string> seen;
    for (std::size_t index = 0; index < inner.size(); ++index) {
        const auto innerType = JsonField::string(inner[index], "type");
        for (const auto& spec : _catalog.inputs(innerType)) {
            if (linkedInputs.count({static_cast<int>(index), spec.name}))
                continue;
            auto groupName = spec.name;
            if (seen.count(groupName))
                groupName = JsonField::string(inner[index], "title", innerType) + " " + spec.name;
            seen.insert(groupName);
            exposed.emplace(groupName, Exposed{static_cast<int>(index), spec.name});
        }
    }

    Poco::JSON::Array::Ptr nodes = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr links = new Poco::JSON::Array;
    std::vector<Poco::JSON::Array::Ptr> innerInputs;
    for (const auto& node : inner) {
        Poco::JSON::Array::Ptr inputs = new Poco::JSON::Array;
        if (const auto saved = JsonField::array(node, "inputs")) {
            for (std::size_t i = 0; i < saved->size(); ++i) {
                Poco::JSON::Object::Ptr input = new Poco::JSON::Object;
                input->set("name", inputName(saved, static_cast<int>(i)));
                if (saved->get(i).type() == typeid(Poco::JSON::Object::Ptr))
                    input->set("type", JsonField::string(saved->get(i).extract<Poco::JSON::Object::Ptr>(), "type"));
                input->set("link", Poco::Dynamic::Var());
                inputs->add(input);
            }
        }
        innerInputs.push_back(inputs);
    }
    const auto connect = [&](const std::string& id, const std::string& originId, int originSlot, int target,
                             int targetSlot) {
        links->add(link(id, originId, originSlot, std::to_string(target), targetSlot));
        innerInputs[target]->getObject(targetSlot)->set("link", id);
    };
    for (std::size_t i = 0; i < internal.size(); ++i) {
        const auto& [from, to] = internal[i];
        if (to.second < 0 || static_cast<std::size_t>(to.second) >= innerInputs[to.first]->size())
            throw WorkflowConversionError(where + ": an inner link ends at a missing input");
        connect("i" + std::to_string(i), std::to_string(from.first), from.second, to.first, to.second);
    }

    // The instance's connected inputs feed the inner inputs they stand for.
    if (const auto inputs = JsonField::array(instance, "inputs")) {
        for (std::size_t slot = 0; slot < inputs->size(); ++slot) {
            if (inputs->get(slot).type() != typeid(Poco::JSON::Object::Ptr))
                continue;
            const auto input = inputs->get(slot).extract<Poco::JSON::Object::Ptr>();
            auto groupName = JsonField::string(input, "name");
            if (const auto widget = JsonField::object(input, "widget"))
                groupName = JsonField::string(widget, "name", groupName);
            const auto it = exposed.find(groupName);
            if (it == exposed.end() || JsonField::isNull(input->get("link")))
                continue;
            auto& targets = innerInputs[it->second.index];
            int targetSlot = -1;
            for (std::size_t i = 0; i < targets->size(); ++i) {
                if (targets->getObject(i)->getValue<std::string>("name") == it->second.innerName)
                    targetSlot = static_cast<int>(i);
            }
            if (targetSlot < 0) {
                Poco::JSON::Object::Ptr added = new Poco::JSON::Object;
                added->set("name", it->second.innerName);
                added->set("type", JsonField::string(input, "type"));
                added->set("link", Poco::Dynamic::Var());
                targets->add(added);
                targetSlot = static_cast<int>(targets->size() - 1);
            }
            connect("g" + std::to_string(slot), LinkTable::SubgraphInputId, static_cast<int>(slot), it->second.index,
                    targetSlot);
        }
    }

    // The instance's outputs: every inner output not used only inside the group.
    int groupOutput = 0;
    for (std::size_t index = 0; index < inner.size(); ++index) {
        const auto outputs = JsonField::array(inner[index], "outputs");
        for (std::size_t slot = 0; outputs && slot < outputs->size(); ++slot) {
            const SlotKey key{static_cast<int>(index), static_cast<int>(slot)};
            if (linkedOutputs.count(key) && !external.count(key))
                continue;
            links->add(link("o" + std::to_string(groupOutput), std::to_string(index), static_cast<int>(slot),
                            LinkTable::SubgraphOutputId, groupOutput));
            ++groupOutput;
        }
    }

    // The instance's widgets_values run through the inner widgets not linked inside, in order.
    const auto instanceValues =
        instance->has("widgets_values") ? instance->get("widgets_values") : Poco::Dynamic::Var();
    const bool fromInstance = instanceValues.type() == typeid(Poco::JSON::Array::Ptr);
    std::size_t cursor = 0;
    for (std::size_t index = 0; index < inner.size(); ++index) {
        const auto& node = inner[index];
        const auto innerType = JsonField::string(node, "type");
        const auto saved = node->has("widgets_values") ? node->get("widgets_values") : Poco::Dynamic::Var();
        Poco::JSON::Array::Ptr values = new Poco::JSON::Array;
        const auto slots = _catalog.widgetSlots(innerType);
        for (std::size_t i = 0; i < slots.size(); ++i) {
            const bool own = !linkedInputs.count({static_cast<int>(index), slots[i].inputName});
            Poco::Dynamic::Var value;
            if (fromInstance && own && cursor < instanceValues.extract<Poco::JSON::Array::Ptr>()->size())
                value = WidgetValues::at(instanceValues, cursor++);
            else
                value = WidgetValues::at(saved, i);
            values->add(value.isEmpty() ? slots[i].fallback : value);
        }

        Poco::JSON::Object::Ptr copy = new Poco::JSON::Object;
        copy->set("id", static_cast<int>(index));
        copy->set("type", innerType);
        copy->set("mode", node->has("mode") ? node->get("mode") : Poco::Dynamic::Var(0));
        if (node->has("title"))
            copy->set("title", node->get("title"));
        copy->set("inputs", innerInputs[index]);
        if (node->has("outputs"))
            copy->set("outputs", node->get("outputs"));
        copy->set("widgets_values", slots.empty() ? saved : Poco::Dynamic::Var(values));
        nodes->add(copy);
    }

    Poco::JSON::Object::Ptr graph = new Poco::JSON::Object;
    graph->set("nodes", nodes);
    graph->set("links", links);
    return graph;
}

} // namespace comfygate::userdata
