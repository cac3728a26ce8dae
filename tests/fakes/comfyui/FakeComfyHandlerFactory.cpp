#include "FakeComfyHandlerFactory.h"

#include "FakeComfyRequestHandler.h"

namespace comfygate::fakes {

Poco::Net::HTTPRequestHandler* FakeComfyHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest&)
{
    return new FakeComfyRequestHandler(_server);
}

} // namespace comfygate::fakes
