// The server's job runner with a scripted source and transfer: what lands where, dedupe by
// content, one transfer for two jobs on the same target, refusals with their reasons, the
// policy asked again with the size, unsafe names, files that are not ours, isolation grants.
#include "TransferJobRunner.h"
#include "DownloadTesting.h"
#include "comfygate/Policy.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

using namespace comfygate::modeldownload;
using comfygate::test::makeJob;
namespace fs = std::filesystem;

namespace {

std::string sha256(const std::string& text)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Resolves every request to the file it was told about, or refuses.
class ScriptedResolver : public SourceResolver
{
public:
    ResolvedFile resolve(const SourceRequest& request) override
    {
        std::lock_guard lock(mutex);
        lastRequest = request;
        ++calls;
        if (!refusal.empty())
            throw DownloadRefused(refusal);
        return file;
    }

    std::mutex mutex;
    ResolvedFile file;
    std::string refusal;
    SourceRequest lastRequest;
    int calls = 0;
};

/// Writes `content` as the transfer would (after optionally waiting for a go).
class ScriptedTransfer
{
public:
    FileTransfer::Result operator()(const ResolvedFile&, const fs::path& directory, const std::string& name,
                                    const FileTransfer::Hooks& hooks)
    {
        ++calls;
        hooks.progress(TransferProgress{static_cast<std::int64_t>(content.size() / 2),
                                        static_cast<std::int64_t>(content.size()), 100});
        while (hold) {
            if (hooks.cancelled())
                throw TransferCancelled();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!failure.empty())
            throw TransferFailed(failure);
        std::ofstream(directory / name, std::ios::binary) << content;
        return {directory / name, sha256(content), static_cast<std::int64_t>(content.size())};
    }

    std::string content = "safetensors-bytes";
    std::atomic<int> calls{0};
    std::atomic<bool> hold{false};
    std::string failure;
};

/// Denies files larger than `maxBytes`; records what it was asked.
class CapPolicy : public comfygate::Policy
{
public:
    void declareHook(const comfygate::HookSpec&) override {}
    void raise(const std::string&, const Poco::Dynamic::Var&, const Poco::Dynamic::Var&) override {}
    comfygate::Verdict call(const std::string& hook, const Poco::Dynamic::Var& subject,
                            const Poco::Dynamic::Var& request) override
    {
        std::lock_guard lock(mutex);
        hooks.push_back(hook);
        const auto view = request.extract<Poco::JSON::Object::Ptr>();
        lastRole = subject.extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("role");
        comfygate::Verdict verdict;
        if (view->has("size_bytes") && view->getValue<Poco::Int64>("size_bytes") > maxBytes) {
            verdict.decision = comfygate::Verdict::Decision::Deny;
            verdict.reason = "the file is too large for your role";
        }
        return verdict;
    }

    std::mutex mutex;
    std::vector<std::string> hooks;
    std::string lastRole;
    std::int64_t maxBytes = 1 << 30;
};

class Control : public JobControl
{
public:
    void progress(const TransferProgress& progress) override { last = progress.bytesDone; }
    bool cancelled() const override { return cancel; }
    std::atomic<std::int64_t> last{-1};
    std::atomic<bool> cancel{false};
};

} // namespace

class TransferJobRunnerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(TransferJobRunnerTest);
    CPPUNIT_TEST(completesIntoTheFolderAndIndexes);
    CPPUNIT_TEST(sameContentAlreadyPresentCompletesWithoutTransfer);
    CPPUNIT_TEST(twoJobsForOneTargetShareOneTransfer);
    CPPUNIT_TEST(cancelledLeaderHandsOverToTheWaitingJob);
    CPPUNIT_TEST(refusalsAndFailuresKeepTheirReason);
    CPPUNIT_TEST(policyIsAskedAgainWithTheSize);
    CPPUNIT_TEST(unsafeNamesFromTheSourceAreRefused);
    CPPUNIT_TEST(foreignFileIsNeverOverwritten);
    CPPUNIT_TEST(missingKeyAndMissingSource);
    CPPUNIT_TEST(isolationUsesTheOwnersTreeAndGrants);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        _db = comfygate::test::openDownloadSqlite(*_dir);
        _index = std::make_unique<ModelFileIndex>(*_db);
        _settings.modelsDir = fs::path(_dir->path()) / "models";
        _settings.folders = {"checkpoints", "loras"};
        _settings.civitaiRequiresKey = true;
        _resolver = std::make_shared<ScriptedResolver>();
        _resolver->file.fileName = "model.safetensors";
        _resolver->file.sha256 = sha256(_transfer.content);
        _resolver->file.size = static_cast<std::int64_t>(_transfer.content.size());
        _keys = {{"alice", "civitai-key-of-alice"}};
        makeRunner();
    }

    void tearDown() override
    {
        _runner.reset();
        _index.reset();
        _db.reset();
        _dir.reset();
    }

    void completesIntoTheFolderAndIndexes()
    {
        Control control;
        const auto outcome = _runner->run(makeJob("j", "alice", "civitai", 1), control);
        CPPUNIT_ASSERT_MESSAGE(outcome.error, outcome.kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/model.safetensors"), outcome.destination);
        CPPUNIT_ASSERT_EQUAL(_transfer.content, readFile(_settings.modelsDir / "checkpoints/model.safetensors"));
        CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(_transfer.content.size()), outcome.size);
        CPPUNIT_ASSERT_EQUAL(sha256(_transfer.content), outcome.sha256);
        CPPUNIT_ASSERT(control.last > 0);
        // The owner's key went to the resolver, with the request's selectors.
        CPPUNIT_ASSERT_EQUAL(std::string("civitai-key-of-alice"), _resolver->lastRequest.apiKey);
        CPPUNIT_ASSERT_EQUAL(std::string("138296"), _resolver->lastRequest.modelVersionId);
        CPPUNIT_ASSERT(_index->findInDirectory((_settings.modelsDir / "checkpoints").string(), outcome.sha256));
    }

    void sameContentAlreadyPresentCompletesWithoutTransfer()
    {
        Control control;
        CPPUNIT_ASSERT(_runner->run(makeJob("first", "alice", "civitai", 1), control).kind ==
                       JobOutcome::Kind::Completed);
        // The same content under another name: found by hash, not transferred again.
        _resolver->file.fileName = "renamed.safetensors";
        const auto second = _runner->run(makeJob("second", "alice", "civitai", 2), control);
        CPPUNIT_ASSERT(second.kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/model.safetensors"), second.destination);
        CPPUNIT_ASSERT_EQUAL(1, _transfer.calls.load());
        CPPUNIT_ASSERT(!fs::exists(_settings.modelsDir / "checkpoints/renamed.safetensors"));
        // Another folder is another place: that one is fetched.
        auto lora = makeJob("third", "alice", "civitai", 3);
        lora.request.folderType = "loras";
        CPPUNIT_ASSERT(_runner->run(lora, control).kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(2, _transfer.calls.load());
    }

    void twoJobsForOneTargetShareOneTransfer()
    {
        Control first, second;
        auto [a, b] = startTwoJobsForOneTarget(first, second);
        _transfer.hold = false;
        const auto ra = a.get();
        const auto rb = b.get();
        CPPUNIT_ASSERT(ra.kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_MESSAGE(rb.error, rb.kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(ra.destination, rb.destination);
        CPPUNIT_ASSERT_EQUAL(1, _transfer.calls.load());
    }

    void cancelledLeaderHandsOverToTheWaitingJob()
    {
        Control first, second;
        auto [a, b] = startTwoJobsForOneTarget(first, second);
        first.cancel = true;
        CPPUNIT_ASSERT(a.get().kind == JobOutcome::Kind::Cancelled);
        CPPUNIT_ASSERT(comfygate::test::eventually([&] { return _transfer.calls == 2; }));
        _transfer.hold = false;
        const auto rb = b.get();
        CPPUNIT_ASSERT_MESSAGE(rb.error, rb.kind == JobOutcome::Kind::Completed);
    }

    void refusalsAndFailuresKeepTheirReason()
    {
        Control control;
        _resolver->refusal = "early access until 2026-12-24";
        auto outcome = _runner->run(makeJob("j", "alice", "civitai", 1), control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT_EQUAL(std::string("early access until 2026-12-24"), outcome.error);
        CPPUNIT_ASSERT_EQUAL(0, _transfer.calls.load());
        _resolver->refusal.clear();
        _transfer.failure = "SHA-256 mismatch: expected aa, got bb";
        outcome = _runner->run(makeJob("k", "alice", "civitai", 2), control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT_EQUAL(_transfer.failure, outcome.error);
    }

    void policyIsAskedAgainWithTheSize()
    {
        Control control;
        _policy.maxBytes = 4;
        auto job = makeJob("j", "alice", "civitai", 1);
        job.request.requester.role = "power";
        const auto outcome = _runner->run(job, control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT_EQUAL(std::string("refused by the download policy: the file is too large for your role"),
                             outcome.error);
        CPPUNIT_ASSERT_EQUAL(std::string("download"), _policy.hooks.back());
        CPPUNIT_ASSERT_EQUAL(std::string("power"), _policy.lastRole);
        CPPUNIT_ASSERT_EQUAL(0, _transfer.calls.load());
    }

    void unsafeNamesFromTheSourceAreRefused()
    {
        for (const std::string& name : std::vector<std::string>{"../escape.safetensors", "sub/dir.safetensors", "..",
                                                               ".hidden", "", "a\\b.safetensors", "nul\x01.bin"}) {
            _resolver->file.fileName = name;
            Control control;
            const auto outcome = _runner->run(makeJob("j", "alice", "civitai", 1), control);
            CPPUNIT_ASSERT_MESSAGE(name, outcome.kind == JobOutcome::Kind::Failed);
            CPPUNIT_ASSERT_MESSAGE(outcome.error, outcome.error.find("not a plain file name") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(0, _transfer.calls.load());
        CPPUNIT_ASSERT(!fs::exists(_settings.modelsDir / "escape.safetensors"));
    }

    void foreignFileIsNeverOverwritten()
    {
        const fs::path folder = _settings.modelsDir / "checkpoints";
        fs::create_directories(folder);
        std::ofstream(folder / "model.safetensors") << "someone else's model";
        Control control;
        const auto outcome = _runner->run(makeJob("j", "alice", "civitai", 1), control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT(outcome.error.find("a different file named 'model.safetensors'") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("someone else's model"), readFile(folder / "model.safetensors"));
        // The very file we want, put there by hand: adopted without a transfer.
        std::ofstream(folder / "model.safetensors", std::ios::trunc) << _transfer.content;
        CPPUNIT_ASSERT(_runner->run(makeJob("k", "alice", "civitai", 2), control).kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(0, _transfer.calls.load());
    }

    void missingKeyAndMissingSource()
    {
        Control control;
        auto outcome = _runner->run(makeJob("j", "bob", "civitai", 1), control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT(outcome.error.find("CivitAI needs an API key") == 0);
        // Hugging Face needs none here, but this runner has no resolver for it.
        outcome = _runner->run(makeJob("k", "bob", "huggingface", 2), control);
        CPPUNIT_ASSERT(outcome.kind == JobOutcome::Kind::Failed);
        CPPUNIT_ASSERT(outcome.error.find("not available") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, _resolver->calls);
    }

    void isolationUsesTheOwnersTreeAndGrants()
    {
        _settings.modelIsolation = true;
        makeRunner();
        Control control;
        auto job = makeJob("j", "alice", "civitai", 1);
        job.requestedBy = "ada"; // an admin queued it for alice
        const auto outcome = _runner->run(job, control);
        CPPUNIT_ASSERT_MESSAGE(outcome.error, outcome.kind == JobOutcome::Kind::Completed);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/alice/model.safetensors"), outcome.destination);
        CPPUNIT_ASSERT(fs::exists(_settings.modelsDir / "checkpoints/alice/model.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _grants.size());
        CPPUNIT_ASSERT_EQUAL(std::string("alice|checkpoints|alice/model.safetensors"), _grants.front());
    }

private:
    /// Job "a" starts a transfer that holds; job "b" for the same target then waits for it,
    /// mirroring its progress. Returns both outcomes to come.
    std::pair<std::future<JobOutcome>, std::future<JobOutcome>> startTwoJobsForOneTarget(Control& first,
                                                                                         Control& second)
    {
        _transfer.hold = true;
        auto a =
            std::async(std::launch::async, [&] { return _runner->run(makeJob("a", "alice", "civitai", 1), first); });
        CPPUNIT_ASSERT(comfygate::test::eventually([&] { return _transfer.calls == 1; }));
        auto b =
            std::async(std::launch::async, [&] { return _runner->run(makeJob("b", "alice", "civitai", 2), second); });
        CPPUNIT_ASSERT(comfygate::test::eventually([&] { return second.last > 0; }));
        return {std::move(a), std::move(b)};
    }

    void makeRunner()
    {
        TransferJobRunner::Parts parts;
        parts.resolvers["civitai"] = _resolver;
        parts.transfer = [this](const ResolvedFile& file, const fs::path& directory, const std::string& name,
                                const FileTransfer::Hooks& hooks) { return _transfer(file, directory, name, hooks); };
        parts.apiKey = [this](const std::string& userId, const std::string&) -> std::optional<std::string> {
            const auto it = _keys.find(userId);
            return it == _keys.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        parts.grant = [this](const std::string& userId, const std::string& folder, const std::string& name,
                             const std::string&) { _grants.push_back(userId + "|" + folder + "|" + name); };
        _runner = std::make_unique<TransferJobRunner>(_settings, *_index, _policy, parts);
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<comfygate::PooledDatabase> _db;
    std::unique_ptr<ModelFileIndex> _index;
    DownloadSettings _settings;
    std::shared_ptr<ScriptedResolver> _resolver;
    ScriptedTransfer _transfer;
    CapPolicy _policy;
    std::map<std::string, std::string> _keys;
    std::vector<std::string> _grants;
    std::unique_ptr<TransferJobRunner> _runner;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransferJobRunnerTest);
