#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

namespace comfygate::fakes {

class FakeComfyUI;

/// Creates one FakeComfyRequestHandler per request.
class FakeComfyHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit FakeComfyHandlerFactory(FakeComfyUI& server) : _server(server) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    FakeComfyUI& _server;
};

} // namespace comfygate::fakes
