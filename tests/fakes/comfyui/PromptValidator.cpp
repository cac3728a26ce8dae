#include "PromptValidator.h"

#include "PythonFormat.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

/// What Python raises inside validation; `type` is full_type_name() of the exception class.
struct PythonException : std::runtime_error
{
    PythonException(std::string type, const std::string& message)
        : std::runtime_error(message), type(std::move(type))
    {
    }
    std::string type;
};

struct ConversionError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

std::string trimmed(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\n\r\f\v");
    return text.substr(first, last - first + 1);
}

Var toInt(const Var& value)
{
    if (value.isEmpty()) throw ConversionError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
    if (value.type() == typeid(bool)) return static_cast<Poco::Int64>(value.extract<bool>());
    if (value.isInteger()) return value;
    if (value.isNumeric()) {
        const double number = value.convert<double>();
        if (!std::isfinite(number)) throw ConversionError("cannot convert float infinity to integer");
        return static_cast<Poco::Int64>(std::trunc(number));
    }
    if (value.isString()) {
        std::string text = trimmed(value.extract<std::string>());
        std::string digits;
        for (char c : text)
            if (c != '_') digits += c;
        char* end = nullptr;
        errno = 0;
        const long long parsed = std::strtoll(digits.c_str(), &end, 10);
        if (digits.empty() || *end != '\0' || errno)
            throw ConversionError("invalid literal for int() with base 10: " + PythonFormat::repr(value));
        return static_cast<Poco::Int64>(parsed);
    }
    if (value.type() == typeid(Object::Ptr))
        throw ConversionError("int() argument must be a string, a bytes-like object or a real number, not 'dict'");
    throw ConversionError("int() argument must be a string, a bytes-like object or a real number, not 'list'");
}

Var toFloat(const Var& value)
{
    if (value.isEmpty()) throw ConversionError("float() argument must be a string or a real number, not 'NoneType'");
    if (value.type() == typeid(bool)) return value.extract<bool>() ? 1.0 : 0.0;
    if (value.isNumeric()) return value.convert<double>();
    if (value.isString()) {
        const std::string text = trimmed(value.extract<std::string>());
        char* end = nullptr;
        const double parsed = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0')
            throw ConversionError("could not convert string to float: " + PythonFormat::repr(value));
        return parsed;
    }
    if (value.type() == typeid(Object::Ptr))
        throw ConversionError("float() argument must be a string or a real number, not 'dict'");
    throw ConversionError("float() argument must be a string or a real number, not 'list'");
}

double asDouble(const Var& value)
{
    return value.type() == typeid(bool) ? (value.extract<bool>() ? 1.0 : 0.0) : value.convert<double>();
}

bool typesCompatible(const std::string& received, const std::string& expected)
{
    if (received == "*" || expected == "*") return true;
    if (received == expected) return true;
    auto split = [](const std::string& text) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        while (true) {
            const auto comma = text.find(',', start);
            parts.push_back(trimmed(text.substr(start, comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        return parts;
    };
    const auto receivedParts = split(received);
    const auto expectedParts = split(expected);
    for (const auto& part : receivedParts) {
        bool found = false;
        for (const auto& candidate : expectedParts) found = found || candidate == part;
        if (!found) return false;
    }
    return true;
}

} // namespace

PromptValidator::PromptValidator(const NodeCatalog& catalog) : _catalog(catalog)
{
}

Object::Ptr PromptValidator::makeError(const std::string& type, const std::string& message,
                                       const std::string& details, Object::Ptr extraInfo)
{
    Object::Ptr error = ordered();
    error->set("type", type);
    error->set("message", message);
    error->set("details", details);
    error->set("extra_info", extraInfo ? extraInfo : ordered());
    return error;
}

PromptValidator::Verdict PromptValidator::validateInputs(const Object::Ptr& prompt, const std::string& nodeId)
{
    for (const auto& [id, verdict] : _validated)
        if (id == nodeId) return verdict;

    Object::Ptr node = prompt->getObject(nodeId);
    if (!node) throw PythonException("KeyError", "'" + nodeId + "'");
    Object::Ptr inputs = node->getObject("inputs");
    if (!inputs) {
        if (!node->has("inputs")) throw PythonException("KeyError", "'inputs'");
        throw PythonException("TypeError", "argument of type '" + PythonFormat::repr(node->get("inputs")) + "' is not iterable");
    }
    const std::string classType = PythonFormat::str(node->get("class_type"));
    Object::Ptr info = _infoCache[classType];
    if (!info) info = _infoCache[classType] = _catalog.nodeInfo(classType);
    Object::Ptr classInputs = info->getObject("input");

    Array::Ptr errors = new Array;
    bool valid = true;
    for (const char* category : {"required", "optional"}) {
        Object::Ptr section = classInputs->getObject(category);
        if (!section) continue;
        for (const auto& name : section->getNames()) {
            Array::Ptr spec = section->getArray(name);
            const Var inputType = spec->get(0);
            Object::Ptr options = spec->size() > 1 ? spec->getObject(1) : ordered();
            Array::Ptr inputConfig = new Array;
            inputConfig->add(inputType);
            inputConfig->add(options);
            const std::string typeName = inputType.isString() ? inputType.extract<std::string>() : "COMBO";

            if (!inputs->has(name)) {
                if (std::string(category) == "required") {
                    Object::Ptr extra = ordered();
                    extra->set("input_name", name);
                    errors->add(makeError("required_input_missing", "Required input is missing", name, extra));
                }
                continue;
            }
            Var value = inputs->get(name);
            if (value.type() == typeid(Array::Ptr)) {
                Array::Ptr link = value.extract<Array::Ptr>();
                if (link->size() != 2) {
                    Object::Ptr extra = ordered();
                    extra->set("input_name", name);
                    extra->set("input_config", inputConfig);
                    extra->set("received_value", value);
                    errors->add(makeError("bad_linked_input",
                                          "Bad linked input, must be a length-2 list of [node_id, slot_index]", name, extra));
                    continue;
                }
                const std::string sourceId = PythonFormat::str(link->get(0));
                Object::Ptr sourceNode = prompt->getObject(sourceId);
                if (!sourceNode) throw PythonException("KeyError", PythonFormat::repr(link->get(0)));
                Object::Ptr sourceInfo = _catalog.nodeInfo(sourceNode->optValue<std::string>("class_type", ""));
                if (!sourceInfo) throw PythonException("KeyError", PythonFormat::repr(sourceNode->get("class_type")));
                Array::Ptr returnTypes = sourceInfo->getArray("output");
                const Var slotValue = link->get(1);
                if (!slotValue.isInteger())
                    throw PythonException("TypeError", "tuple indices must be integers or slices, not str");
                const long long slot = slotValue.convert<long long>();
                const long long count = static_cast<long long>(returnTypes->size());
                if (slot >= count || slot < -count) throw PythonException("IndexError", "tuple index out of range");
                const std::string receivedType = returnTypes->getElement<std::string>(slot < 0 ? slot + count : slot);
                if (!typesCompatible(receivedType, typeName)) {
                    Object::Ptr extra = ordered();
                    extra->set("input_name", name);
                    extra->set("input_config", inputConfig);
                    extra->set("received_type", receivedType);
                    extra->set("linked_node", value);
                    errors->add(makeError("return_type_mismatch", "Return type mismatch between linked nodes",
                                          name + ", received_type(" + receivedType + ") mismatch input_type(" +
                                              typeName + ")",
                                          extra));
                    continue;
                }
                try {
                    if (!validateInputs(prompt, sourceId).valid) {
                        valid = false;
                        continue;
                    }
                } catch (const PythonException& ex) {
                    valid = false;
                    Object::Ptr extra = ordered();
                    extra->set("input_name", name);
                    extra->set("input_config", inputConfig);
                    extra->set("exception_message", std::string(ex.what()));
                    extra->set("exception_type", ex.type);
                    extra->set("traceback", Array::Ptr(new Array));
                    extra->set("linked_node", value);
                    Array::Ptr reasons = new Array;
                    reasons->add(makeError("exception_during_inner_validation", "Exception when validating inner node",
                                           ex.what(), extra));
                    _validated.emplace_back(sourceId, Verdict{false, reasons});
                    continue;
                }
                continue;
            }

            try {
                if (typeName == "INT") value = toInt(value);
                else if (typeName == "FLOAT") value = toFloat(value);
                else if (typeName == "STRING") value = PythonFormat::str(value);
                else if (typeName == "BOOLEAN") value = !(value.isEmpty() || (value.isNumeric() && asDouble(value) == 0) ||
                                                        (value.isString() && value.extract<std::string>().empty()));
                if (typeName == "INT" || typeName == "FLOAT" || typeName == "STRING" || typeName == "BOOLEAN")
                    inputs->set(name, value);
            } catch (const ConversionError& ex) {
                Object::Ptr extra = ordered();
                extra->set("input_name", name);
                extra->set("input_config", inputConfig);
                extra->set("received_value", value);
                extra->set("exception_message", std::string(ex.what()));
                errors->add(makeError("invalid_input_type", "Failed to convert an input value to a " + typeName + " value",
                                      name + ", " + PythonFormat::str(value) + ", " + ex.what(), extra));
                continue;
            }

            const bool numeric = value.isNumeric() || value.type() == typeid(bool);
            if (numeric && options->has("min") && asDouble(value) < options->getValue<double>("min")) {
                Object::Ptr extra = ordered();
                extra->set("input_name", name);
                extra->set("input_config", inputConfig);
                extra->set("received_value", value);
                errors->add(makeError("value_smaller_than_min",
                                      "Value " + PythonFormat::str(value) + " smaller than min of " +
                                          PythonFormat::str(options->get("min")),
                                      name, extra));
                continue;
            }
            if (numeric && options->has("max") && asDouble(value) > options->getValue<double>("max")) {
                Object::Ptr extra = ordered();
                extra->set("input_name", name);
                extra->set("input_config", inputConfig);
                extra->set("received_value", value);
                errors->add(makeError("value_bigger_than_max",
                                      "Value " + PythonFormat::str(value) + " bigger than max of " +
                                          PythonFormat::str(options->get("max")),
                                      name, extra));
                continue;
            }
            if (inputType.type() == typeid(Array::Ptr)) {
                Array::Ptr choices = inputType.extract<Array::Ptr>();
                bool found = false;
                for (std::size_t i = 0; i < choices->size() && !found; ++i)
                    found = value.isString() && choices->get(i).isString() &&
                            choices->get(i).extract<std::string>() == value.extract<std::string>();
                if (!found) {
                    Object::Ptr extra = ordered();
                    extra->set("input_name", name);
                    std::string listInfo;
                    if (choices->size() > 20) {
                        listInfo = "(list of length " + std::to_string(choices->size()) + ")";
                        extra->set("input_config", Var());
                    } else {
                        listInfo = PythonFormat::repr(inputType);
                        extra->set("input_config", inputConfig);
                    }
                    extra->set("received_value", value);
                    errors->add(makeError("value_not_in_list", "Value not in list",
                                          name + ": '" + PythonFormat::str(value) + "' not in " + listInfo, extra));
                    continue;
                }
            }
        }
    }

    Verdict verdict{errors->size() == 0 && valid, errors};
    _validated.emplace_back(nodeId, verdict);
    return verdict;
}

PromptValidator::Result PromptValidator::validate(const Object::Ptr& prompt, const Array::Ptr& partialTargets)
{
    _validated.clear();
    Result result;
    result.nodeErrors = ordered();

    std::vector<std::string> outputs;
    for (const auto& nodeId : prompt->getNames()) {
        Object::Ptr node = prompt->getObject(nodeId);
        if (!node || !node->has("class_type")) {
            result.error = makeError("invalid_prompt", "Cannot execute because a node is missing the class_type property.",
                                     "Node ID '#" + nodeId + "'");
            return result;
        }
        const std::string classType = PythonFormat::str(node->get("class_type"));
        if (!_catalog.knows(classType)) {
            result.error = makeError("invalid_prompt", "Cannot execute because node " + classType + " does not exist.",
                                     "Node ID '#" + nodeId + "'");
            return result;
        }
        Object::Ptr info = _catalog.nodeInfo(classType);
        if (info->getValue<bool>("output_node")) {
            bool targeted = !partialTargets;
            for (std::size_t i = 0; partialTargets && i < partialTargets->size(); ++i)
                targeted = targeted || PythonFormat::str(partialTargets->get(i)) == nodeId;
            if (targeted) outputs.push_back(nodeId);
        }
    }
    if (outputs.empty()) {
        result.error = makeError("prompt_no_outputs", "Prompt has no outputs", "");
        return result;
    }

    std::vector<std::pair<std::string, Array::Ptr>> failures;
    for (const auto& output : outputs) {
        Verdict verdict;
        try {
            verdict = validateInputs(prompt, output);
        } catch (const PythonException& ex) {
            Object::Ptr extra = ordered();
            extra->set("exception_type", ex.type);
            extra->set("traceback", Array::Ptr(new Array));
            verdict.valid = false;
            verdict.reasons = new Array;
            verdict.reasons->add(makeError("exception_during_validation", "Exception when validating node", ex.what(), extra));
            _validated.emplace_back(output, verdict);
        }
        if (verdict.valid) {
            result.outputs.push_back(output);
            continue;
        }
        failures.emplace_back(output, verdict.reasons);
        for (const auto& [nodeId, nodeVerdict] : _validated) {
            if (nodeVerdict.valid || nodeVerdict.reasons->size() == 0) continue;
            Object::Ptr entry = result.nodeErrors->getObject(nodeId);
            if (!entry) {
                entry = ordered();
                entry->set("errors", nodeVerdict.reasons);
                entry->set("dependent_outputs", Array::Ptr(new Array));
                entry->set("class_type", prompt->getObject(nodeId)->get("class_type"));
                result.nodeErrors->set(nodeId, entry);
            }
            entry->getArray("dependent_outputs")->add(output);
        }
    }

    if (result.outputs.empty()) {
        std::string details;
        for (const auto& [output, reasons] : failures) {
            for (std::size_t i = 0; i < reasons->size(); ++i) {
                Object::Ptr reason = reasons->getObject(i);
                if (!details.empty()) details += "\n";
                details += reason->getValue<std::string>("message") + ": " + reason->getValue<std::string>("details");
            }
        }
        result.error = makeError("prompt_outputs_failed_validation", "Prompt outputs failed validation", details);
        return result;
    }
    result.valid = true;
    return result;
}

} // namespace comfygate::fakes
