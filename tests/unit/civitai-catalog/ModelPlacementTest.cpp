// CivitAI type → (category, dest), the LoRA buckets, and the on-disk hash cache.
#include "ModelPlacement.h"
#include "comfygate/AtomicFile.h"
#include "FileHashCache.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>

using comfygate::AtomicFile;
using comfygate::civitaicatalog::FileHashCache;
using comfygate::civitaicatalog::ModelPlacement;

class ModelPlacementTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ModelPlacementTest);
    CPPUNIT_TEST(typesMapToLoaderFolders);
    CPPUNIT_TEST(diffusionOnlyCheckpointsGoToDiffusionModels);
    CPPUNIT_TEST(typesWithoutFolderAreRefused);
    CPPUNIT_TEST(loraBucketsFollowTheBaseModel);
    CPPUNIT_TEST(hashCacheNoticesChangedFiles);
    CPPUNIT_TEST_SUITE_END();

public:
    static std::string placement(const std::string& type, const std::string& base = "SD 1.5")
    {
        const auto found = ModelPlacement::forCivitaiType(type, base);
        return found ? found->category + "/" + found->dest : "none";
    }

    void typesMapToLoaderFolders()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/checkpoints"), placement("Checkpoint"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras/loras"), placement("LORA"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras/loras"), placement("LoCon"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras/loras"), placement("DoRA"));
        CPPUNIT_ASSERT_EQUAL(std::string("vae/vae"), placement("VAE"));
        CPPUNIT_ASSERT_EQUAL(std::string("embeddings/embeddings"), placement("TextualInversion"));
        CPPUNIT_ASSERT_EQUAL(std::string("embeddings/embeddings"), placement("AestheticGradient"));
        CPPUNIT_ASSERT_EQUAL(std::string("controlnet/controlnet"), placement("Controlnet"));
        CPPUNIT_ASSERT_EQUAL(std::string("controlnet/controlnet"), placement("Poses"));
        CPPUNIT_ASSERT_EQUAL(std::string("upscalers/upscale_models"), placement("Upscaler"));
        CPPUNIT_ASSERT_EQUAL(std::string("text_encoders/text_encoders"), placement("TextEncoder"));
        CPPUNIT_ASSERT_EQUAL(std::string("diffusion_models/diffusion_models"), placement("UNet"));
        CPPUNIT_ASSERT_EQUAL(std::string("clip_vision/clip_vision"), placement("CLIPVision"));
    }

    void diffusionOnlyCheckpointsGoToDiffusionModels()
    {
        for (const char* base :
             {"Flux.1 D", "Flux.1 S", "Wan Video 14B t2v", "Hunyuan Video", "LTX Video", "CogVideoX"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(base, std::string("diffusion_models/diffusion_models"),
                                         placement("Checkpoint", base));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/checkpoints"), placement("Checkpoint", "SDXL 1.0"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras/loras"), placement("LORA", "Flux.1 D"));
    }

    void typesWithoutFolderAreRefused()
    {
        for (const char* type : {"Workflows", "Wildcards", "Other", "MotionModule", "Hypernetwork", ""})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(type, std::string("none"), placement(type));
    }

    void loraBucketsFollowTheBaseModel()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("wan_loras"), ModelPlacement::loraBucket("Wan Video 14B i2v 720p"));
        CPPUNIT_ASSERT_EQUAL(std::string("flux_loras"), ModelPlacement::loraBucket("Flux.1 D"));
        CPPUNIT_ASSERT_EQUAL(std::string("illustrious_loras"), ModelPlacement::loraBucket("Illustrious"));
        CPPUNIT_ASSERT_EQUAL(std::string("illustrious_loras"), ModelPlacement::loraBucket("NoobAI"));
        CPPUNIT_ASSERT_EQUAL(std::string("pony_loras"), ModelPlacement::loraBucket("Pony"));
        CPPUNIT_ASSERT_EQUAL(std::string("sdxl_loras"), ModelPlacement::loraBucket("SDXL 1.0"));
        CPPUNIT_ASSERT_EQUAL(std::string("sd15_loras"), ModelPlacement::loraBucket("SD 1.5"));
        CPPUNIT_ASSERT_EQUAL(std::string("ltx_loras"), ModelPlacement::loraBucket("LTXV"));
        CPPUNIT_ASSERT_EQUAL(std::string("hunyuan_loras"), ModelPlacement::loraBucket("Hunyuan Video"));
        CPPUNIT_ASSERT_EQUAL(std::string("cogvideo_loras"), ModelPlacement::loraBucket("CogVideoX"));
        CPPUNIT_ASSERT_EQUAL(std::string("other_loras"), ModelPlacement::loraBucket("SD 3.5"));
        CPPUNIT_ASSERT(ModelPlacement::isLoraType("LoCon"));
        CPPUNIT_ASSERT(!ModelPlacement::isLoraType("Checkpoint"));
    }

    void hashCacheNoticesChangedFiles()
    {
        comfygate::test::TempDir dir;
        const std::filesystem::path file = std::filesystem::path(dir.path()) / "models" / "a.safetensors";
        FileHashCache cache;
        CPPUNIT_ASSERT(!cache.sha256(file));
        std::filesystem::create_directories(file.parent_path());
        AtomicFile::write(file.string(), "abc");
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                             *cache.sha256(file));
        AtomicFile::write(file.string(), "abcd"); // another size: hashed again
        CPPUNIT_ASSERT_EQUAL(std::string("88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"),
                             *cache.sha256(file));
        CPPUNIT_ASSERT_EQUAL(std::ptrdiff_t(1), std::distance(std::filesystem::directory_iterator(file.parent_path()),
                                                              std::filesystem::directory_iterator()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModelPlacementTest);
