#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace comfygate::userdata {

/// One input of a node class as `/object_info` declares it.
struct InputSpec
{
    std::string name;
    std::string type;                   /// "INT", "MODEL", ...; "COMBO" for a list of values
    Poco::JSON::Object::Ptr options;    /// the second element of the declaration, may be null
    Poco::JSON::Array::Ptr comboValues; /// the values of a list-form COMBO, else null
    bool widget = false;                /// shown as a widget (INT, FLOAT, STRING, BOOLEAN, COMBO), not a socket
};

/// One entry of a node's `widgets_values`, in the order the front end creates the widgets.
struct WidgetSlot
{
    std::string name;
    std::string inputName;       /// the input the widget belongs to
    bool sentToPrompt = true;    /// false for the front end's own widgets (control_after_generate, upload)
    Poco::Dynamic::Var fallback; /// the value when `widgets_values` has none
};

/// The node classes of ComfyUI's `/object_info` answer. Input order comes from `input_order`
/// when present, else from the order of `required` then `optional` as parsed (so parse the
/// answer with an order-preserving Poco::JSON::ParseHandler when `input_order` is missing).
class NodeCatalog
{
public:
    explicit NodeCatalog(Poco::JSON::Object::Ptr objectInfo);

    /// True when the backend has the class `type`.
    bool knows(const std::string& type) const;

    /// The class's `display_name`, else its name.
    std::string displayName(const std::string& type) const;

    /// The class's inputs, required then optional. Empty for an unknown class.
    std::vector<InputSpec> inputs(const std::string& type) const;

    /// The widgets the front end creates for the class, in `widgets_values` order: one per
    /// widget input, plus `control_after_generate` after a seed / noise_seed INT or an input
    /// declaring `control_after_generate`, plus the upload button after the required inputs
    /// of a class with an `image_upload` (video, audio, animated image) input.
    std::vector<WidgetSlot> widgetSlots(const std::string& type) const;

private:
    Poco::JSON::Object::Ptr classInfo(const std::string& type) const;
    static void addSection(const Poco::JSON::Object::Ptr& section, const Poco::JSON::Array::Ptr& order,
                           std::vector<InputSpec>& inputs);
    static InputSpec readInput(const std::string& name, const Poco::Dynamic::Var& definition);
    static bool controlsValue(const InputSpec& input);
    static bool hasUpload(const InputSpec& input);
    static Poco::Dynamic::Var fallbackValue(const InputSpec& input);

    Poco::JSON::Object::Ptr _objectInfo;
};

} // namespace comfygate::userdata
