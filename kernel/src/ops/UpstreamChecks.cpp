#include "Configuration.h"
#include "CurlHttpClient.h"
#include "DoctorChecks.h"

#include <Poco/JSON/Parser.h>

namespace comfygate {
namespace {

/// A short look: doctor answers in seconds even when a host is down or DNS hangs.
HttpClientResponse quickGet(const std::string& url)
{
    HttpClientRequest request;
    request.url = url;
    request.connectTimeout = std::chrono::milliseconds(3000);
    request.totalTimeout = std::chrono::milliseconds(5000);
    request.followRedirects = false;
    request.maxBytes = 1024 * 1024;
    CurlHttpClient client;
    return client.perform(request);
}

bool hasArgument(const Poco::JSON::Array::Ptr& argv, const std::string& word)
{
    if (!argv)
        return false;
    for (std::size_t i = 0; i < argv->size(); ++i) {
        if (argv->getElement<std::string>(static_cast<unsigned>(i)) == word)
            return true;
    }
    return false;
}

} // namespace

void ComfyCheck::run(const Configuration& config, DoctorReport& report)
{
    const std::string url = config.getString("comfy.url", "");
    const std::string fix = "start ComfyUI, or set comfy.url (" + Configuration::environmentName("comfy.url") +
                            ") to where it listens";
    HttpClientResponse answer;
    try {
        answer = quickGet(url + "/system_stats");
    } catch (const std::exception& e) {
        report.fail("comfyui", "not reachable at " + url + ": " + e.what(), fix);
        return;
    }
    if (answer.status != 200) {
        report.fail("comfyui", url + "/system_stats answered " + std::to_string(answer.status), fix);
        return;
    }
    std::string version;
    Poco::JSON::Array::Ptr argv;
    try {
        const auto system = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>()->getObject("system");
        version = system ? system->optValue<std::string>("comfyui_version", "") : "";
        argv = system ? system->getArray("argv") : nullptr;
    } catch (const std::exception& e) {
        report.fail("comfyui", url + "/system_stats is not ComfyUI's JSON: " + e.what(), fix);
        return;
    }
    const bool multiUser = hasArgument(argv, "--multi-user");
    const std::string what = "ComfyUI " + (version.empty() ? std::string("(version unknown)") : version) + " at " +
                             url + ", --multi-user " + (multiUser ? "on" : "off");
    // comfy.multi_user is the gateway's promise of a ComfyUI user per gateway user.
    if (!multiUser && config.getBool("comfy.multi_user", false))
        report.warn("comfyui", what + ", but comfy.multi_user = true expects it",
                    "start ComfyUI with --multi-user, or set comfy.multi_user = false");
    else
        report.ok("comfyui", what);
}

void DownloadSourcesCheck::run(const Configuration& config, DoctorReport& report)
{
    for (const auto& [name, key] : {std::pair<std::string, std::string>{"civitai", "downloads.civitai.base_url"},
                                    {"huggingface", "downloads.huggingface.base_url"}}) {
        const std::string url = config.getString(key, "");
        try {
            const auto answer = quickGet(url);
            report.ok(name, url + " answers (HTTP " + std::to_string(answer.status) + ")");
        } catch (const std::exception& e) {
            report.warn(name, "not reachable at " + url + " (" + e.what() + "); downloads from it will fail until it is",
                        "fine for an offline install; otherwise check DNS, the firewall or " + key);
        }
    }
}

} // namespace comfygate
