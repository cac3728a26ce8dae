// Download requests as clients send them: MSS-Login's POST .../model-download/download body
// (DownloadRequestParser) and Comfy Cloud's POST /api/assets/download, whose `source_url` is
// turned into such a body (SourceUrl) and then validated the same way. An accepted request
// must keep its paths confined and its folder a model folder, and survive the queue's JSON
// round trip (toJson / fromJson) unchanged.
#include "DownloadRequestParser.h"
#include "SourceUrl.h"

#include "comfygate/HttpError.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace comfygate::modeldownload;

const DownloadSettings& settings()
{
    static const DownloadSettings s = [] {
        DownloadSettings d;
        d.folders = {"checkpoints", "loras", "vae", "embeddings"};
        d.civitaiHosts = {"civitai.com", "civitai.green"};
        d.civitaiBaseUrl = "https://civitai.com";
        d.huggingfaceBaseUrl = "https://huggingface.co";
        return d;
    }();
    return s;
}

void checkAccepted(const DownloadRequestParser& parser, const DownloadRequest& request)
{
    if (!parser.isModelFolder(request.folderType))
        std::abort();
    if ((!request.filename.empty() && !DownloadRequestParser::isConfinedPath(request.filename)) ||
        (!request.subfolder.empty() && !DownloadRequestParser::isConfinedPath(request.subfolder)))
        std::abort();
    const DownloadRequest again = DownloadRequest::fromJson(request.toJson());
    if (again.source != request.source || again.folderType != request.folderType ||
        again.filename != request.filename || again.subfolder != request.subfolder ||
        again.repoId != request.repoId || again.revision != request.revision ||
        again.modelVersionId != request.modelVersionId || again.civitaiHost != request.civitaiHost)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const DownloadRequestParser parser(settings());
    static const SourceUrl sourceUrl(settings(), {"huggingface.co", "hf.co"});
    const std::string text(reinterpret_cast<const char*>(data), size);
    Poco::JSON::Object::Ptr body;
    try {
        Poco::JSON::Parser json;
        const Poco::Dynamic::Var value = json.parse(text);
        if (value.type() != typeid(Poco::JSON::Object::Ptr))
            return 0;
        body = value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return 0; // the routes answer 400
    }
    try {
        if (body->has("source_url")) {
            if (!body->get("source_url").isString())
                return 0; // CloudAssetRoutes answers 400
            const std::string url = body->getValue<std::string>("source_url");
            SourceUrl::withoutSecrets(url);
            body = sourceUrl.toDownloadBody(url);
        }
        checkAccepted(parser, parser.parse(body));
    } catch (const comfygate::HttpError& e) {
        if (e.status() != 400 && e.status() != 403)
            std::abort();
    }
    return 0;
}
