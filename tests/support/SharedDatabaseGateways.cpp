#include "SharedDatabaseGateways.h"

#include <Poco/File.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

namespace comfygate::test {

const std::string& SharedDatabaseGateways::secretKey()
{
    static const std::string key = "scale-out-test-secret-key-0123456789abcdef";
    return key;
}

SharedDatabaseGateways::SharedDatabaseGateways(std::size_t count, std::map<std::string, std::string> settings,
                                               std::size_t started)
{
    _cluster.createDatabase(_database);
    _modelsDir = _shared.path() + "/models";
    Poco::File(_modelsDir).createDirectories();
    for (const auto& [key, value] : _cluster.gatewaySettings(_database))
        settings.emplace(key, value);
    settings.emplace("comfy.models_dir", _modelsDir);
    for (std::size_t i = 0; i < count; ++i)
        _instances.push_back(std::make_unique<ServerProcess>(settings, std::map<std::string, std::string>{
                                                                           {"SECRET_KEY", secretKey()}}));
    std::vector<std::size_t> first;
    for (std::size_t i = 0; i < std::min(count, started); ++i)
        first.push_back(i);
    startTogether(first);
}

void SharedDatabaseGateways::start(std::size_t index)
{
    startTogether({index});
}

void SharedDatabaseGateways::startTogether(const std::vector<std::size_t>& indexes)
{
    std::vector<std::exception_ptr> failures(indexes.size());
    std::vector<std::thread> starters;
    for (std::size_t i = 0; i < indexes.size(); ++i) {
        starters.emplace_back([this, i, &indexes, &failures] {
            try {
                _instances.at(indexes[i])->start();
            } catch (...) {
                failures[i] = std::current_exception();
            }
        });
    }
    for (auto& starter : starters)
        starter.join();
    for (const auto& failure : failures) {
        if (failure)
            std::rethrow_exception(failure);
    }

    std::vector<unsigned> ports;
    for (const auto& instance : _instances) {
        if (!instance->running())
            return;
        ports.push_back(instance->port());
    }
    _proxy = std::make_unique<NginxProxy>(ports);
}

unsigned SharedDatabaseGateways::proxyPort() const
{
    if (!_proxy)
        throw std::logic_error("nginx starts once every instance was started");
    return _proxy->port();
}

SharedDatabaseGateways::~SharedDatabaseGateways()
{
    _proxy.reset();
    _instances.clear(); // before the cluster stops, so they stop cleanly
}

} // namespace comfygate::test
