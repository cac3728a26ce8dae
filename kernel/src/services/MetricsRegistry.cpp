#include "MetricsRegistry.h"

#include <charconv>
#include <sstream>
#include <stdexcept>

namespace comfygate {
namespace {

std::string number(double value)
{
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string escapeHelp(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

bool isBuiltIn(const std::string& name)
{
    return name.rfind("http_request", 0) == 0 || name == "websockets_open";
}

} // namespace

void MetricsRegistry::checkName(const std::string& name)
{
    bool ok = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name)
        ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    if (!ok)
        throw std::invalid_argument("metric name '" + name + "' must match [a-z_][a-z0-9_]*");
}

std::string MetricsRegistry::escapeLabel(const std::string& value)
{
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help, std::function<double()> read)
{
    checkName(name);
    std::lock_guard lock(_mutex);
    if (_gauges.count(name) || _counters.count(name) || isBuiltIn(name))
        throw std::logic_error("metric comfygate_" + name + " is already registered");
    _gauges[name] = Gauge{help, std::move(read)};
}

std::function<void(double)> MetricsRegistry::counter(const std::string& name, const std::string& help)
{
    checkName(name);
    std::lock_guard lock(_mutex);
    if (_gauges.count(name) || _counters.count(name) || isBuiltIn(name))
        throw std::logic_error("metric comfygate_" + name + " is already registered");
    auto value = std::make_shared<std::atomic<double>>(0.0);
    _counters[name] = Counter{help, value};
    return [value](double amount) {
        double current = value->load();
        while (!value->compare_exchange_weak(current, current + amount)) {
        }
    };
}

void MetricsRegistry::observeRequest(const std::string& route, const std::string& method, int status,
                                     double seconds)
{
    std::lock_guard lock(_mutex);
    ++_requests[{route, method, status}];
    Histogram& histogram = _latency[route];
    for (std::size_t i = 0; i < latencyBuckets.size(); ++i) {
        if (seconds <= latencyBuckets[i])
            ++histogram.counts[i];
    }
    ++histogram.total;
    histogram.sum += seconds;
}

std::string MetricsRegistry::render() const
{
    std::ostringstream out;
    std::lock_guard lock(_mutex);
    out << "# HELP comfygate_http_requests_total HTTP requests by route pattern, method and status.\n"
        << "# TYPE comfygate_http_requests_total counter\n";
    for (const auto& [key, count] : _requests) {
        const auto& [route, method, status] = key;
        out << "comfygate_http_requests_total{route=\"" << escapeLabel(route) << "\",method=\"" << method
            << "\",status=\"" << status << "\"} " << count << "\n";
    }
    out << "# HELP comfygate_http_request_duration_seconds Time from routing to the last byte of the response.\n"
        << "# TYPE comfygate_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : _latency) {
        const std::string label = escapeLabel(route);
        for (std::size_t i = 0; i < latencyBuckets.size(); ++i)
            out << "comfygate_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\""
                << latencyBuckets[i] << "\"} " << histogram.counts[i] << "\n";
        out << "comfygate_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
            << histogram.total << "\n"
            << "comfygate_http_request_duration_seconds_sum{route=\"" << label << "\"} " << number(histogram.sum) << "\n"
            << "comfygate_http_request_duration_seconds_count{route=\"" << label << "\"} " << histogram.total
            << "\n";
    }
    out << "# HELP comfygate_websockets_open Open WebSocket connections.\n"
        << "# TYPE comfygate_websockets_open gauge\n"
        << "comfygate_websockets_open " << _openWebSockets.load() << "\n";
    for (const auto& [name, gauge] : _gauges) {
        double value = 0;
        try {
            value = gauge.read();
        } catch (...) {
            continue; // a module's broken gauge must not break the scrape
        }
        out << "# HELP comfygate_" << name << " " << escapeHelp(gauge.help) << "\n# TYPE comfygate_" << name << " gauge\n"
            << "comfygate_" << name << " " << number(value) << "\n";
    }
    for (const auto& [name, counter] : _counters) {
        out << "# HELP comfygate_" << name << " " << escapeHelp(counter.help) << "\n# TYPE comfygate_" << name
            << " counter\ncomfygate_" << name << " " << number(counter.value->load()) << "\n";
    }
    return out.str();
}

} // namespace comfygate
