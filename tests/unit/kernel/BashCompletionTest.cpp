#include "BashCompletion.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::BashCompletion;

class BashCompletionTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(BashCompletionTest);
    CPPUNIT_TEST(subcommandsComeFromTheUsageLines);
    CPPUNIT_TEST(proseAndPlaceholdersAreNoSubcommands);
    CPPUNIT_TEST(scriptNamesEveryCommandAndOption);
    CPPUNIT_TEST_SUITE_END();

public:
    void subcommandsComeFromTheUsageLines()
    {
        const auto words = BashCompletion::subcommands("policy", "comfygate [options] policy check\n"
                                                                 "       comfygate [options] policy test [DIR]\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), words.size());
        CPPUNIT_ASSERT_EQUAL(std::string("check"), words[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("test"), words[1]);
    }

    void proseAndPlaceholdersAreNoSubcommands()
    {
        const auto words = BashCompletion::subcommands("download", "comfygate download list [--all]\n"
                                                                   "comfygate download list --json\n"
                                                                   "comfygate download JOB_ID\n"
                                                                   "comfygate download [--user NAME]\n\n"
                                                                   "Queues a model download for a user.\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), words.size());
        CPPUNIT_ASSERT_EQUAL(std::string("list"), words[0]);
        CPPUNIT_ASSERT(BashCompletion::subcommands("serve", "comfygate [options] serve\n").empty());
    }

    void scriptNamesEveryCommandAndOption()
    {
        const std::string script =
            BashCompletion::script({{"serve", "comfygate serve"}, {"user", "comfygate user add NAME\ncomfygate user list"}},
                                   {"--help"}, {"--data-dir"});
        CPPUNIT_ASSERT(script.find("\"serve user\"") != std::string::npos);
        CPPUNIT_ASSERT(script.find("user) COMPREPLY=($(compgen -W \"add list\"") != std::string::npos);
        CPPUNIT_ASSERT(script.find("\"--help --data-dir\"") != std::string::npos);
        CPPUNIT_ASSERT(script.find("complete -F _comfygate comfygate") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BashCompletionTest);
