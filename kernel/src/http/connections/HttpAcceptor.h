#pragma once

#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace comfygate {

class HttpConnection;
class HttpConnectionTable;

/// Accepts connections on the listening socket in its own thread, so a connection is never
/// refused because every worker is busy: it is opened in the HttpConnectionTable and handed
/// on (`onAccepted`). Only beyond http.max_connections is it refused: a plain connection gets
/// `503` with `Connection: close`, a TLS one is closed (answering would need a handshake here).
class HttpAcceptor
{
public:
    using Handler = std::function<void(std::shared_ptr<HttpConnection>)>;

    HttpAcceptor(Poco::Net::ServerSocket socket, HttpConnectionTable& table, Handler onAccepted,
                 std::function<void()> onRefused);
    ~HttpAcceptor();

    void start();
    /// Stops accepting and closes the listening socket.
    void stop();

private:
    void run();
    void refuse(Poco::Net::StreamSocket& socket);

    Poco::Net::ServerSocket _socket;
    HttpConnectionTable& _table;
    Handler _onAccepted;
    std::function<void()> _onRefused;
    std::atomic<bool> _stopping{false};
    std::chrono::steady_clock::time_point _lastWarning{};
    std::thread _thread;
};

} // namespace comfygate
