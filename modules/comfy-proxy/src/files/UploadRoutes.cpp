#include "UploadRoutes.h"

#include "UploadForm.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Policy.h"
#include "comfygate/PolicySubject.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include <sstream>

namespace comfygate::comfyproxy {
namespace {

/// The mask's original image, canonical, once the caller may read it.
std::string checkedOriginalRef(OutputFiles& files, const Principal& user, const std::optional<std::string>& text)
{
    if (!text)
        throw HttpError(400, "a mask upload needs original_ref");
    FileRef original;
    try {
        const auto ref = Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Object::Ptr>();
        if (!ref || !ref->has("filename") || !ref->get("filename").isString())
            throw HttpError(400, "original_ref must be a JSON object with a filename");
        original =
            FileRef::fromView(ref->getValue<std::string>("filename"), ref->optValue<std::string>("type", "output"),
                              ref->optValue<std::string>("subfolder", ""));
    } catch (const FileRef::Invalid& invalid) {
        throw HttpError(400, "original_ref: " + invalid.reason);
    } catch (const HttpError&) {
        throw;
    } catch (const Poco::Exception&) {
        throw HttpError(400, "original_ref must be a JSON object with a filename");
    }
    // Someone else's image looks like a missing one.
    if (!files.mayRead(user, original))
        throw HttpError(404, "original_ref: no such file");
    Poco::JSON::Object::Ptr canonical = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    canonical->set("filename", original.filename);
    canonical->set("subfolder", original.subfolder);
    canonical->set("type", original.type);
    std::ostringstream out;
    canonical->stringify(out);
    return out.str();
}

} // namespace

std::string UploadRoutes::userFolder(const std::string& userId, const std::string& clientFolder)
{
    const std::string folder = FileRef::normaliseFolder(clientFolder);
    if (folder == userId || folder.rfind(userId + "/", 0) == 0)
        return folder;
    return folder.empty() ? userId : userId + "/" + folder;
}

void UploadRoutes::registerAll(RouteRegistry& routes)
{
    for (const bool mask : {false, true}) {
        auto route = RouteSpec::make(
            "POST", mask ? "/upload/mask" : "/upload/image", Access::Permission,
            mask ? "upload a mask for one of your images (into your own input folder)"
                 : "upload an image into your own input folder",
            [this, mask](HttpExchange& e) { upload(e, mask); }, "can_upload");
        route.apiTwin = true;
        route.bodyLimit = static_cast<std::size_t>(_maxBytes);
        routes.add(route);
    }
}

void UploadRoutes::upload(HttpExchange& exchange, bool mask)
{
    const Principal& user = exchange.principal();
    UploadForm form(exchange.request().stream(), exchange.request().getContentType(),
                    {"type", "subfolder", "overwrite", "original_ref"}, _stagingDir, _maxBytes);
    if (!FileRef::isPlainName(form.fileName()) || form.fileName().find('"') != std::string::npos)
        throw HttpError(400, "the file name must be a plain name without '/', '\\\\', quotes or control characters");
    const std::string type = form.field("type").value_or("input");
    if (type != "input" && type != "temp" && (_separateUsers || type != "output"))
        throw HttpError(400,
                        _separateUsers ? "uploads go to type input or temp" : "type must be input, temp or output");
    form.setField("type", type);
    try {
        const std::string subfolder = form.field("subfolder").value_or("");
        form.setField("subfolder",
                      _separateUsers ? userFolder(user.userId, subfolder) : FileRef::normaliseFolder(subfolder));
    } catch (const FileRef::Invalid& invalid) {
        throw HttpError(400, "subfolder: " + invalid.reason);
    }
    if (mask)
        form.setField("original_ref", checkedOriginalRef(_files, user, form.field("original_ref")));
    // Asked once the form is read, so size and type are the real ones; a refused upload's
    // staged file goes with the form and never reaches ComfyUI.
    if (auto refusal = uploadRefusal(exchange, form, mask))
        throw HttpError(403, *refusal, "policy_denied");

    UpstreamRequest request = _upstream.requestFor(exchange, exchange.request().getURI());
    request.setContentType(form.contentType());
    request.setContentLength64(static_cast<Poco::Int64>(form.contentLength()));
    UpstreamClient::Stream stream = _upstream.open(request, [&](std::ostream& out) { form.write(out); });
    // Before the client hears back, so that its next prompt finds the file on any host.
    if (_hosts.several() && stream.answer.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
        copyToOtherHosts(exchange, form);
    _upstream.relay(exchange, stream);
}

void UploadRoutes::copyToOtherHosts(HttpExchange& exchange, const UploadForm& form)
{
    for (UpstreamHost* host : _hosts.reachable()) {
        if (&host->client() == &_upstream)
            continue;
        try {
            UpstreamRequest request = host->client().requestFor(exchange, exchange.request().getURI());
            request.setContentType(form.contentType());
            request.setContentLength64(static_cast<Poco::Int64>(form.contentLength()));
            UpstreamClient::Stream stream = host->client().open(request, [&](std::ostream& out) { form.write(out); });
            Poco::NullOutputStream discard;
            Poco::StreamCopier::copyStream(*stream.body, discard);
            if (stream.answer.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
                host->noteError("upload of " + form.fileName() + " answered " + std::to_string(stream.answer.getStatus()));
        } catch (const HttpError& e) {
            host->noteError(e.what());
        }
    }
}

std::optional<std::string> UploadRoutes::uploadRefusal(HttpExchange& exchange, const UploadForm& form, bool mask)
{
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("kind", mask ? "mask" : "image");
    request->set("filename", form.fileName());
    request->set("subfolder", form.field("subfolder").value_or(""));
    request->set("type", form.field("type").value_or("input"));
    request->set("content_type", form.fileContentType());
    request->set("size_bytes", static_cast<Poco::UInt64>(form.fileSize()));
    const std::string overwrite = form.field("overwrite").value_or("");
    request->set("overwrite", overwrite == "true" || overwrite == "1");
    const Verdict verdict = _policy.call("upload", policySubject(exchange), request);
    if (verdict.allowed())
        return std::nullopt;
    return verdict.reason.empty() ? std::string("refused by the upload policy") : verdict.reason;
}

} // namespace comfygate::comfyproxy
