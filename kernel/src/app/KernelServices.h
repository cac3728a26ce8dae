#pragma once

#include <functional>
#include <memory>
#include <string>

namespace comfygate {

class Audit;
class Authenticator;
class CliCommands;
class Configuration;
class Database;
class EventBus;
class HttpClient;
class MetricsRegistry;
class PermissionTable;
class Policy;
class Router;
class Scheduler;
class Secrets;
class ServiceTable;

/// The kernel's subsystems as the module host hands them out.
struct KernelServices
{
    Router& router;
    PermissionTable& permissions;
    Policy& policy;
    Database& database;
    EventBus& events;
    HttpClient& httpClient;
    Secrets& secrets;
    Scheduler& scheduler;
    Audit& audit;
    MetricsRegistry& metrics;
    CliCommands& cli;
    ServiceTable& services;
    const Configuration& config;
    std::string dataDir;
    std::function<void(std::shared_ptr<Authenticator>, const std::string& owner)> installAuthenticator;
    bool serving = false; ///< set before the modules start: `serve` or a CLI command
};

} // namespace comfygate
