#include "DownloadFrontEnds.h"

#include "comfygate/ModuleContext.h"

namespace comfygate::modeldownload {

DownloadFrontEnds::DownloadFrontEnds(ModuleContext& context, const DownloadSettings& settings, DownloadJobStore& store,
                                     DownloadQueue& queue, ModelFileIndex& index)
    : _parser(settings),
      _sourceUrl(settings, context.globalConfig().getList("downloads.huggingface.hosts", {"huggingface.co", "hf.co"})),
      _assets(context.database()), _tasks(_assets),
      _submission(settings, store, queue, context.policy(), context.audit(), context.services()),
      _present(context.httpClient(), settings, index),
      _routes(settings, _parser, _sourceUrl, _submission, _present, _tasks, _assets, store, queue, context.logger()),
      _commands(_parser, _submission, store, queue, context.permissions(), context.services(), context.audit()),
      _events(context.events(), _tasks, store, _assets, context.logger()),
      _queueService(std::make_shared<QueueService>(_submission, store, _parser))
{
    context.services().publish<services::ModelDownloads>(services::ModelDownloads::serviceName, _queueService);
    _routes.registerAll(context.routes());
    _commands.registerAll(context.cli());
}

} // namespace comfygate::modeldownload
