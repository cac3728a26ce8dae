namespace comfygate {
const char* kernelVersion() { return COMFYGATE_VERSION; }
}
