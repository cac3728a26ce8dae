#pragma once

#include "PresetStore.h"
#include "PreviewImageCodec.h"
#include "comfygate/SwarmApi.h"

#include <string>

namespace comfygate {
class RouteRegistry;
}

namespace comfygate::presets {

/// The limits of the preset routes (etc/comfygate.properties, presets.*).
struct PresetLimits
{
    PreviewLimits preview;
    std::size_t maxParamEntries = 2000;
};

/// SwarmUI's preset routes (AddNewPreset, DuplicatePreset, DeletePreset, ExportUserPresets),
/// comfygate's shared presets (PublishSharedPreset, UnpublishSharedPreset) and the preview
/// images behind the lazy URLs (GET /ViewSpecial/Preset/..., /ViewSpecial/SharedPreset/...).
/// Failures answer `{"preset_fail": ...}` as SwarmUI's do. Presets are per user: another
/// user's preset is "No such preset." unless it is shared, and then it is read-only.
class PresetRoutes
{
public:
    PresetRoutes(PresetStore& store, PresetLimits limits);
    void registerAll(RouteRegistry& routes);

private:
    Poco::JSON::Object::Ptr addNewPreset(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr duplicatePreset(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr deletePreset(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr exportUserPresets(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr publishSharedPreset(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr unpublishSharedPreset(swarm::Call& call, HttpExchange& exchange);
    void viewOwnPreview(HttpExchange& exchange);
    void viewSharedPreview(HttpExchange& exchange);

    /// Fills the preview of `preset` from AddNewPreset's preview_image; true when the
    /// existing preview is to be kept (a `/ViewSpecial/...` value).
    bool choosePreview(Preset& preset, const std::string& previewImage, const std::string& metadata) const;
    /// Refuses changing someone else's shared preset by its title.
    void refuseIfSharedByOthers(const std::string& userId, const std::string& title);
    static void sendJpeg(HttpExchange& exchange, const std::optional<Preset>& preset);
    static swarm::Refusal fail(const std::string& message);

    PresetStore& _store;
    PresetLimits _limits;
    PreviewImageCodec _codec;
};

} // namespace comfygate::presets
