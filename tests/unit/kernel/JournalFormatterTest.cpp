#include "JournalFormatter.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Message.h>

#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using comfygate::JournalFormatter;

namespace {

std::string formatted(Poco::Message::Priority priority, const std::string& text)
{
    std::string line;
    JournalFormatter().format(Poco::Message("kernel", text, priority), line);
    return line;
}

/// Points stderr at `path` for the scope, then restores it.
class RedirectedStderr
{
public:
    explicit RedirectedStderr(const std::string& path) : _saved(::dup(STDERR_FILENO))
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~RedirectedStderr()
    {
        ::dup2(_saved, STDERR_FILENO);
        ::close(_saved);
    }

private:
    int _saved;
};

} // namespace

class JournalFormatterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(JournalFormatterTest);
    CPPUNIT_TEST(testLevelPrefixWithoutTimeStamp);
    CPPUNIT_TEST(testEveryLineOfAMessageHasThePrefix);
    CPPUNIT_TEST(testSyslogPriorities);
    CPPUNIT_TEST(testJournalStreamMustNameStderr);
    CPPUNIT_TEST_SUITE_END();

public:
    void tearDown() override { ::unsetenv("JOURNAL_STREAM"); }

    void testLevelPrefixWithoutTimeStamp()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("<6>kernel: listening on 8190"),
                             formatted(Poco::Message::PRIO_INFORMATION, "listening on 8190"));
        CPPUNIT_ASSERT_EQUAL(std::string("<4>kernel: slow"), formatted(Poco::Message::PRIO_WARNING, "slow"));
    }

    void testEveryLineOfAMessageHasThePrefix()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("<3>kernel: first\n<3>second\n"),
                             formatted(Poco::Message::PRIO_ERROR, "first\nsecond\n"));
    }

    void testSyslogPriorities()
    {
        CPPUNIT_ASSERT_EQUAL(1, JournalFormatter::syslogPriority(Poco::Message::PRIO_FATAL));
        CPPUNIT_ASSERT_EQUAL(2, JournalFormatter::syslogPriority(Poco::Message::PRIO_CRITICAL));
        CPPUNIT_ASSERT_EQUAL(3, JournalFormatter::syslogPriority(Poco::Message::PRIO_ERROR));
        CPPUNIT_ASSERT_EQUAL(4, JournalFormatter::syslogPriority(Poco::Message::PRIO_WARNING));
        CPPUNIT_ASSERT_EQUAL(5, JournalFormatter::syslogPriority(Poco::Message::PRIO_NOTICE));
        CPPUNIT_ASSERT_EQUAL(6, JournalFormatter::syslogPriority(Poco::Message::PRIO_INFORMATION));
        CPPUNIT_ASSERT_EQUAL(7, JournalFormatter::syslogPriority(Poco::Message::PRIO_DEBUG));
        CPPUNIT_ASSERT_EQUAL(7, JournalFormatter::syslogPriority(Poco::Message::PRIO_TRACE));
    }

    void testJournalStreamMustNameStderr()
    {
        comfygate::test::TempDir temp;
        const std::string journal = temp.file("journal");
        RedirectedStderr redirected(journal);
        CPPUNIT_ASSERT(!JournalFormatter::stderrIsJournal());
        struct stat info{};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(journal.c_str(), &info));
        const std::string stream = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
        ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
        CPPUNIT_ASSERT(JournalFormatter::stderrIsJournal());
        // Inherited from a parent whose stderr went to the journal, while ours goes elsewhere.
        ::setenv("JOURNAL_STREAM", (std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino + 1)).c_str(), 1);
        CPPUNIT_ASSERT(!JournalFormatter::stderrIsJournal());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JournalFormatterTest);
