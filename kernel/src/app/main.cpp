#include "CliApplication.h"

#include <csignal>
#include <iostream>

int main(int argc, char** argv)
{
    // Block the signals the server waits for before any thread exists, so every thread
    // inherits the mask and only CliApplication::serve's sigwait receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    comfygate::CliApplication application(std::cin, std::cout, std::cerr);
    return application.run(std::vector<std::string>(argv + 1, argv + argc));
}
