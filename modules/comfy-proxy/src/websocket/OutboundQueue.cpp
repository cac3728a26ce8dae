#include "OutboundQueue.h"

#include <algorithm>

namespace comfygate::comfyproxy {

OutboundQueue::Result OutboundQueue::push(Frame frame)
{
    if (frame.control) {
        _frames.push_back(std::move(frame));
        return Result::Queued;
    }
    if (frame.snapshot) {
        const auto older = std::find_if(_frames.begin(), _frames.end(), [](const Frame& f) { return f.snapshot; });
        if (older != _frames.end()) {
            _frames.erase(older);
            --_counted;
            ++_replacedSnapshots;
        }
    }
    if (_counted < _capacity) {
        _frames.push_back(std::move(frame));
        ++_counted;
        return Result::Queued;
    }
    if (frame.droppable) {
        ++_droppedPreviews;
        return Result::PreviewDropped;
    }
    const auto preview = std::find_if(_frames.begin(), _frames.end(), [](const Frame& f) { return f.droppable; });
    if (preview == _frames.end())
        return Result::Overflow;
    _frames.erase(preview);
    ++_droppedPreviews;
    _frames.push_back(std::move(frame));
    return Result::PreviewDropped;
}

std::optional<OutboundQueue::Frame> OutboundQueue::pop()
{
    if (_frames.empty())
        return std::nullopt;
    Frame frame = std::move(_frames.front());
    _frames.pop_front();
    if (!frame.control)
        --_counted;
    return frame;
}

void OutboundQueue::replaceWith(Frame last)
{
    _frames.clear();
    _counted = 0;
    last.control = true;
    _frames.push_back(std::move(last));
}

} // namespace comfygate::comfyproxy
