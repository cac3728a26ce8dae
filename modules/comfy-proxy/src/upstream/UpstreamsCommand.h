#pragma once

#include "PromptOwners.h"
#include "UpstreamHosts.h"

#include "comfygate/Cli.h"

#include <ostream>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// `comfygate upstreams [--json]`: each configured ComfyUI host (comfy.upstreams, else
/// comfy.url) asked now with GET /queue: its state (up / down), queue length (running +
/// pending), weight, labels, the last error and how many prompts the gateway reported lost
/// with it. Exit status 0 when every host answered, 1 otherwise.
class UpstreamsCommand
{
public:
    UpstreamsCommand(UpstreamHosts& hosts, PromptOwners& owners) : _hosts(hosts), _owners(owners) {}

    CliCommand command();

private:
    struct Row
    {
        std::string url;
        double weight = 1;
        std::string labels;
        bool up = false;
        int queue = 0;
        std::string error;
        std::size_t lost = 0;
    };
    Row probe(UpstreamHost& host, const std::vector<PromptOwners::Failure>& failures);
    int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

    UpstreamHosts& _hosts;
    PromptOwners& _owners;
};

} // namespace comfygate::comfyproxy
