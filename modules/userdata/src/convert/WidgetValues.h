#pragma once

#include "NodeCatalog.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <vector>

namespace comfygate::userdata {

/// Maps a node's saved `widgets_values` onto its widget slots, the way the front end
/// configures widgets: the n-th value goes to the n-th widget, the front end's own widgets
/// (control_after_generate, upload) take their value without passing it on. Some custom
/// nodes save an object keyed by widget name instead; that is read by name.
class WidgetValues
{
public:
    /// The prompt inputs the widgets give: widget name -> value, for the slots sent to the
    /// prompt. Missing values take the slot's fallback; array values are boxed as
    /// `{"__value__": [...]}` so the backend does not read them as links.
    static Poco::JSON::Object::Ptr promptInputs(const std::vector<WidgetSlot>& slots,
                                                const Poco::Dynamic::Var& widgetsValues);

    /// The value of the slot at `index` in `widgetsValues`, or an empty Var.
    static Poco::Dynamic::Var at(const Poco::Dynamic::Var& widgetsValues, std::size_t index);

    /// `value`, boxed when it is an array.
    static Poco::Dynamic::Var boxed(const Poco::Dynamic::Var& value);
};

} // namespace comfygate::userdata
