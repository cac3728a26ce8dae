#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <mutex>
#include <string>
#include <vector>

namespace comfygate::test {

/// Routes one logger's error messages into memory for the lifetime of the object.
class CapturedLog
{
public:
    explicit CapturedLog(const std::string& loggerName)
        : _logger(Poco::Logger::get(loggerName)), _previous(_logger.getChannel()),
          _previousLevel(_logger.getLevel()), _capture(new Capture)
    {
        _logger.setChannel(_capture);
        _logger.setLevel(Poco::Message::PRIO_TRACE);
    }

    ~CapturedLog()
    {
        _logger.setChannel(_previous);
        _logger.setLevel(_previousLevel);
    }

    std::vector<std::string> errors() const
    {
        std::lock_guard<std::mutex> lock(_capture->mutex);
        return _capture->errors;
    }

private:
    struct Capture : Poco::Channel
    {
        void log(const Poco::Message& message) override
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (message.getPriority() <= Poco::Message::PRIO_ERROR)
                errors.push_back(message.getText());
        }
        mutable std::mutex mutex;
        std::vector<std::string> errors;
    };

    Poco::Logger& _logger;
    Poco::Channel::Ptr _previous;
    int _previousLevel;
    Poco::AutoPtr<Capture> _capture;
};

} // namespace comfygate::test
