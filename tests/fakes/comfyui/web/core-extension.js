// A core extension script as ComfyUI lists them in /extensions.
import { app } from "../../scripts/app.js";

app.registerExtension({ name: "fake.core." + import.meta.url.split("/").pop() });
