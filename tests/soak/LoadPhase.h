#pragma once

#include "SoakOperations.h"

#include <chrono>
#include <vector>

namespace comfygate::soak {

class SoakRecorder;

/// Drives SoakOperations' mix from a fixed set of workers (threads), each signed in once.
class LoadPhase
{
public:
    /// Throws SoakFailure when a worker cannot sign in.
    LoadPhase(SoakOperations& operations, int workers);

    /// Closed loop: every worker runs the next operation as soon as its last one ended, for
    /// `duration`; returns the operations per second reached (the capacity of this mix).
    double closedLoop(std::chrono::milliseconds duration, SoakRecorder& recorder);
    /// Open loop: operation n starts at n / `perSecond` after the start, whoever is free takes
    /// it; latency counts from that scheduled start, so waiting for a free worker shows.
    void paced(double perSecond, std::chrono::milliseconds duration, SoakRecorder& recorder);

private:
    void runOne(long long slot, SoakOperations::Worker& worker, SoakRecorder& recorder,
                std::chrono::steady_clock::time_point since);

    SoakOperations& _operations;
    std::vector<SoakOperations::Worker> _workers;
};

} // namespace comfygate::soak
