#pragma once

#include <Poco/Formatter.h>

namespace comfygate {

/// Log lines for systemd's journal: `<N>source: text`, where N is the syslog priority of the
/// line's level (journald reads the prefix, stores the level and strips it), without the time
/// stamp the journal adds itself. Every line of a multi-line message carries the prefix.
class JournalFormatter : public Poco::Formatter
{
public:
    void format(const Poco::Message& message, std::string& text) override;

    /// True when stderr is connected to the journal: JOURNAL_STREAM (set by systemd for a
    /// service whose output goes to the journal) names stderr's device and inode.
    static bool stderrIsJournal();
    /// The syslog priority (0 emerg .. 7 debug) of a Poco priority.
    static int syslogPriority(int pocoPriority);
};

} // namespace comfygate
