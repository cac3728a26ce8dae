#include "UpstreamsCommand.h"

#include "comfygate/CliWords.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <iomanip>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

const char* const usage =
    "usage: comfygate upstreams [--json]\n"
    "  Asks every ComfyUI host of comfy.upstreams (else comfy.url) for its queue now and prints\n"
    "  one line per host: number, URL, state (up/down), queue length (running + pending), weight,\n"
    "  labels, prompts the gateway reported lost with it, and the error when it did not answer.\n"
    "  --json prints {\"upstreams\": [{number, url, state, queue, weight, labels, lost, error}]}.\n"
    "  Exit status 0 when every host answered, 1 when one did not. The running server's own view\n"
    "  (its WebSocket per host) is in /metrics: comfygate_upstream_<n>_up, _queue, _in_flight.\n";

int queueLength(const std::string& body)
{
    const auto root = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    int length = 0;
    for (const char* list : {"queue_running", "queue_pending"})
        if (const auto items = root->getArray(list))
            length += static_cast<int>(items->size());
    return length;
}

} // namespace

CliCommand UpstreamsCommand::command()
{
    CliCommand command;
    command.name = "upstreams";
    command.summary = "the ComfyUI hosts (comfy.upstreams): state, queue length, last error";
    command.usage = usage;
    command.run = [this](const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
        return run(args, out, err);
    };
    return command;
}

UpstreamsCommand::Row UpstreamsCommand::probe(UpstreamHost& host, const std::vector<PromptOwners::Failure>& failures)
{
    Row row;
    row.url = host.url();
    row.weight = host.weight();
    for (const auto& label : host.labels())
        row.labels += (row.labels.empty() ? "" : ",") + label;
    for (const auto& failure : failures)
        if (&_hosts.hostFor(failure.upstream) == &host)
            ++row.lost;
    try {
        const auto answer = host.client().fetch("GET", "/queue");
        if (answer.status != 200) {
            row.error = "GET /queue answered " + std::to_string(answer.status);
            return row;
        }
        row.queue = queueLength(answer.body);
        row.up = true;
    } catch (const Poco::Exception& e) {
        row.error = "GET /queue answered something that is not a queue: " + e.displayText();
    } catch (const std::exception& e) {
        row.error = e.what();
    }
    return row;
}

int UpstreamsCommand::run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    CliWords words;
    try {
        words = CliWords::parse(args, {"--json"}, {});
    } catch (const std::invalid_argument& error) {
        err << error.what() << '\n' << usage;
        return 2;
    }
    if (!words.positional.empty()) {
        err << usage;
        return 2;
    }
    const auto failures = _owners.failures("");
    std::vector<Row> rows;
    for (UpstreamHost* host : _hosts.all())
        rows.push_back(probe(*host, failures));
    bool allUp = true;
    if (words.has("--json")) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            entry->set("number", static_cast<int>(i + 1));
            entry->set("url", rows[i].url);
            entry->set("state", rows[i].up ? "up" : "down");
            entry->set("queue", rows[i].queue);
            entry->set("weight", rows[i].weight);
            entry->set("labels", rows[i].labels);
            entry->set("lost", static_cast<Poco::UInt64>(rows[i].lost));
            entry->set("error", rows[i].error);
            list->add(entry);
            allUp = allUp && rows[i].up;
        }
        Poco::JSON::Object document;
        document.set("upstreams", list);
        document.stringify(out);
        out << '\n';
        return allUp ? 0 : 1;
    }
    out << std::left << std::setw(3) << "#" << std::setw(32) << "URL" << std::setw(6) << "STATE" << std::setw(6)
        << "QUEUE" << std::setw(7) << "WEIGHT" << std::setw(16) << "LABELS" << std::setw(5) << "LOST"
        << "LAST ERROR\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& row = rows[i];
        std::ostringstream weight;
        weight << row.weight;
        out << std::left << std::setw(3) << (i + 1) << std::setw(32) << row.url << std::setw(6)
            << (row.up ? "up" : "down") << std::setw(6) << row.queue << std::setw(7) << weight.str() << std::setw(16)
            << (row.labels.empty() ? "-" : row.labels) << std::setw(5) << row.lost
            << (row.error.empty() ? "-" : row.error) << '\n';
        allUp = allUp && row.up;
    }
    return allUp ? 0 : 1;
}

} // namespace comfygate::comfyproxy
