#include "JournalFormatter.h"

#include <Poco/Message.h>

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {

int JournalFormatter::syslogPriority(int pocoPriority)
{
    switch (pocoPriority) {
    case Poco::Message::PRIO_FATAL:
        return 1; // alert: the process ends
    case Poco::Message::PRIO_CRITICAL:
        return 2;
    case Poco::Message::PRIO_ERROR:
        return 3;
    case Poco::Message::PRIO_WARNING:
        return 4;
    case Poco::Message::PRIO_NOTICE:
        return 5;
    case Poco::Message::PRIO_INFORMATION:
        return 6;
    default:
        return 7; // debug and trace
    }
}

void JournalFormatter::format(const Poco::Message& message, std::string& text)
{
    const std::string prefix = "<" + std::to_string(syslogPriority(message.getPriority())) + ">";
    text = prefix + message.getSource() + ": ";
    const std::string& body = message.getText();
    for (std::size_t i = 0; i < body.size(); ++i) {
        text += body[i];
        if (body[i] == '\n' && i + 1 < body.size())
            text += prefix;
    }
}

bool JournalFormatter::stderrIsJournal()
{
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr)
        return false;
    struct stat info{};
    if (::fstat(STDERR_FILENO, &info) != 0)
        return false;
    return std::string(stream) ==
           std::to_string(static_cast<unsigned long long>(info.st_dev)) + ":" +
               std::to_string(static_cast<unsigned long long>(info.st_ino));
}

} // namespace comfygate
