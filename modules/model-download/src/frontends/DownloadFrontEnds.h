#pragma once

#include "AssetDownloadEvents.h"
#include "AssetStore.h"
#include "AssetTasks.h"
#include "CloudAssetRoutes.h"
#include "DownloadCommands.h"
#include "DownloadRequestParser.h"
#include "JobSubmission.h"
#include "PresentFiles.h"
#include "QueueService.h"
#include "SourceUrl.h"

#include <memory>

namespace comfygate {
class ModuleContext;
}

namespace comfygate::modeldownload {

/// The queue's front ends besides MSS-Login's routes: Comfy Cloud's asset import (routes and
/// `asset_download` events), the `download` CLI and the "downloads.queue" service other
/// modules queue through (civitai-catalog). Built and registered in one step from
/// the module's parts; destroy it before them (it subscribes to the event bus).
class DownloadFrontEnds
{
public:
    DownloadFrontEnds(ModuleContext& context, const DownloadSettings& settings, DownloadJobStore& store,
                      DownloadQueue& queue, ModelFileIndex& index);

private:
    DownloadRequestParser _parser;
    SourceUrl _sourceUrl;
    AssetStore _assets;
    AssetTasks _tasks;
    JobSubmission _submission;
    PresentFiles _present;
    CloudAssetRoutes _routes;
    DownloadCommands _commands;
    AssetDownloadEvents _events;
    std::shared_ptr<QueueService> _queueService;
};

} // namespace comfygate::modeldownload
