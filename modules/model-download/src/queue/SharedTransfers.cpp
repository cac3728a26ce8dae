#include "SharedTransfers.h"

#include <chrono>

namespace comfygate::modeldownload {

SharedTransfers::Result SharedTransfers::run(const std::string& key, JobControl& control, const Work& work)
{
    while (true) {
        std::shared_ptr<InFlight> flight;
        bool leader = false;
        {
            std::lock_guard lock(_mutex);
            auto& slot = _inFlight[key];
            if (!slot) {
                slot = std::make_shared<InFlight>();
                leader = true;
            }
            flight = slot;
        }
        if (leader)
            return lead(key, flight, control, work);

        std::unique_lock lock(flight->mutex);
        while (!flight->finished) {
            if (control.cancelled())
                return Result{JobOutcome::Kind::Cancelled, {}, {}, false};
            if (flight->hasProgress) {
                const TransferProgress progress = flight->latest;
                lock.unlock();
                control.progress(progress);
                lock.lock();
            }
            flight->changed.wait_for(lock, std::chrono::milliseconds(200));
        }
        Result result = flight->result;
        lock.unlock();
        if (result.kind == JobOutcome::Kind::Cancelled) {
            if (control.cancelled())
                return result;
            continue; // the job that transferred was cancelled, not this one: take over
        }
        result.shared = true;
        return result;
    }
}

SharedTransfers::Result SharedTransfers::lead(const std::string& key, const std::shared_ptr<InFlight>& flight,
                                              JobControl& control, const Work& work)
{
    FileTransfer::Hooks hooks;
    hooks.progress = [&](const TransferProgress& progress) {
        {
            std::lock_guard lock(flight->mutex);
            flight->latest = progress;
            flight->hasProgress = true;
        }
        control.progress(progress);
    };
    hooks.cancelled = [&] { return control.cancelled(); };
    hooks.paused = [&] { return control.pausing(); };

    Result result;
    try {
        result.path = work(hooks);
        result.kind = JobOutcome::Kind::Completed;
    } catch (const TransferCancelled&) {
        result.kind = JobOutcome::Kind::Cancelled;
    } catch (const std::exception& error) {
        result.kind = JobOutcome::Kind::Failed;
        result.error = error.what();
    }
    {
        std::lock_guard lock(_mutex);
        _inFlight.erase(key);
    }
    {
        std::lock_guard lock(flight->mutex);
        flight->result = result;
        flight->finished = true;
    }
    flight->changed.notify_all();
    return result;
}

} // namespace comfygate::modeldownload
