// Raw bytes from a client, read the way the kernel's HttpConnection reads them: request heads
// through Poco's parser (with its header limits), the kernel's framing checks, bodies of
// Content-Length or chunked (ChunkedBodyBuffer), responses that settle an unread body
// (FramedResponse), and the next pipelined request from exactly where the last one ended.
//
// The first input byte chooses how the "handler" treats each body (read it all, leave it for
// the drain, or answer early without reading); the rest is what the client sends, written
// into one end of a socketpair whose other end the server side reads.
#include "ChunkedBodyBuffer.h"
#include "FramedRequest.h"
#include "FramedResponse.h"
#include "HttpSession.h"
#include "RequestBody.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Larger inputs are cut: the whole input must fit into the socket buffer before reading starts.
constexpr std::size_t maxInput = 64 * 1024;
constexpr std::size_t bodyLimit = 16 * 1024;

void drain(int fd)
{
    char buffer[8192];
    while (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
}

// Serves requests from the connection until it must close; mirrors HttpConnection::serveOne.
void serve(comfygate::HttpSession& session, Poco::Net::HTTPServerParams* params, int clientFd, std::uint8_t mode)
{
    const comfygate::FramedRequest::DrainLimits limits{8 * 1024, Poco::Timespan(0, 200000)};
    for (int served = 0; served < 64; ++served) {
        comfygate::FramedResponse response(session, limits);
        std::unique_ptr<comfygate::FramedRequest> request;
        try {
            request = std::make_unique<comfygate::FramedRequest>(response, session, params);
        } catch (const Poco::Net::NoMessageException&) {
            return;
        } catch (const Poco::Net::MessageException&) {
            return; // answered 400/414/431 by HttpConnection
        } catch (const Poco::SyntaxException&) {
            return;
        }
        response.attach(*request);
        response.setVersion(request->getVersion());
        response.setKeepAlive(request->getKeepAlive());
        if (comfygate::FramedRequest::framingProblem(*request)) {
            response.setKeepAlive(false);
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
            response.sendBuffer("{}", 2);
            drain(clientFd);
            return;
        }
        const std::uint8_t turn = static_cast<std::uint8_t>(mode >> (2 * (served % 4))) & 3;
        try {
            if (turn == 0)
                comfygate::RequestBody::read(request->stream(), bodyLimit);
            else if (turn == 1)
                request->stream().get();
        } catch (const Poco::Exception&) {
            return; // a malformed chunked body ends the connection
        }
        response.setStatusAndReason(turn == 3 ? Poco::Net::HTTPResponse::HTTP_NO_CONTENT
                                              : Poco::Net::HTTPResponse::HTTP_OK);
        try {
            response.sendBuffer("ok", 2);
        } catch (const Poco::Exception&) {
            return;
        }
        drain(clientFd);
        if (!response.getKeepAlive())
            return;
        if (!request->discardBody(limits))
            return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    ++data;
    --size;
    if (size > maxInput)
        size = maxInput;

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        std::abort();
    const int buffer = 4 * maxInput;
    ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    std::size_t written = 0;
    while (written < size) {
        const ssize_t n = ::send(fds[1], data + written, size - written, 0);
        if (n <= 0)
            std::abort();
        written += static_cast<std::size_t>(n);
    }
    ::shutdown(fds[1], SHUT_WR); // the client has sent everything: the server reads to the end

    {
        Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fds[0])); // owns fds[0]
        socket.setReceiveTimeout(Poco::Timespan(1, 0));
        Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams);
        params->setKeepAlive(true);
        try {
            comfygate::HttpSession session(socket, params);
            serve(session, params.get(), fds[1], mode);
        } catch (const Poco::Exception&) {
            // HttpConnection::serve ends the connection on these (a std::exception it logs as an
            // error: here it escapes and counts as a finding)
        }
    }
    ::close(fds[1]);
    return 0;
}
