// A stand-in for ComfyUI's front end that boots the same way: users, settings, object_info and
// the workflow listing, the WebSocket, then every extension script from /api/extensions.
const clientId = crypto.randomUUID().replace(/-/g, "");
const workflow = {
  4: { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "sd15.safetensors" } },
  5: { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 1 } },
  6: { class_type: "CLIPTextEncode", inputs: { text: "a red fox", clip: ["4", 1] } },
  7: { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
  3: {
    class_type: "KSampler",
    inputs: { seed: 1, steps: 4, cfg: 7.5, sampler_name: "euler", scheduler: "normal", denoise: 1,
              model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] },
  },
  8: { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
  9: { class_type: "SaveImage", inputs: { filename_prefix: "webui", images: ["8", 0] } },
};

const byId = (id) => document.getElementById(id);

const app = {
  extensions: [],
  registerExtension(extension) {
    this.extensions.push(extension);
    const commands = new Map((extension.commands || []).map((command) => [command.id, command]));
    for (const entry of extension.menuCommands || []) {
      for (const id of entry.commands) {
        const button = document.createElement("button");
        button.id = "menu-" + id.replace(/\W/g, "-");
        button.textContent = [...entry.path, commands.get(id).label].join(" / ");
        button.addEventListener("click", () => commands.get(id).function());
        byId("menu").append(button);
      }
    }
    for (const [index, action] of (extension.actionBarButtons || []).entries()) {
      const button = document.createElement("button");
      button.id = "action-" + extension.name.replace(/\W/g, "-") + "-" + index;
      button.textContent = action.label || action.tooltip;
      button.addEventListener("click", action.onClick);
      byId("action-bar").append(button);
    }
  },
};
window.comfyAPI = { app: { app } };

async function call(path, options) {
  const response = await fetch("/api" + path, options);
  const item = document.createElement("li");
  item.dataset.path = path;
  item.dataset.status = String(response.status);
  item.textContent = path + " " + response.status;
  byId("boot-calls").append(item);
  return response;
}

async function json(path, options) {
  const response = await call(path, options);
  if (!response.ok) throw new Error(path + " answered " + response.status + " " + (await response.text()).slice(0, 200));
  return response.json();
}

function showImage(image) {
  const query = new URLSearchParams({ filename: image.filename, type: image.type, subfolder: image.subfolder });
  byId("output-image").src = "/api/view?" + query.toString();
}

function openSocket() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?clientId=${clientId}`);
    socket.addEventListener("open", () => { byId("ws-state").textContent = "open"; resolve(socket); });
    socket.addEventListener("error", () => reject(new Error("the WebSocket failed")));
    socket.addEventListener("close", () => { byId("ws-state").textContent = "closed"; });
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      const message = JSON.parse(event.data);
      if (message.type === "executed" && message.data.output && message.data.output.images)
        showImage(message.data.output.images[0]);
      if (message.type === "execution_success") refresh();
    });
  });
}

async function refresh() {
  const queue = await json("/queue");
  byId("queue-running").textContent = String(queue.queue_running.length);
  byId("queue-pending").textContent = String(queue.queue_pending.length);
  const history = await json("/history");
  byId("history-list").replaceChildren(...Object.keys(history).map((id) => {
    const item = document.createElement("li");
    item.textContent = id;
    return item;
  }));
}

async function queuePrompt() {
  const answer = await json("/prompt", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: workflow, client_id: clientId }),
  });
  byId("last-prompt-id").textContent = answer.prompt_id;
}

async function boot() {
  await json("/users");
  await json("/settings");
  await json("/object_info");
  // ComfyUI answers 404 while the user has no workflows folder; the front end carries on.
  await call("/userdata?dir=workflows&recurse=true&split=false&full_info=true");
  await openSocket();
  for (const script of await json("/extensions")) await import(script);
  await refresh();
  byId("queue-button").addEventListener("click", () => queuePrompt().catch(fail));
  byId("refresh-button").addEventListener("click", () => refresh().catch(fail));
  byId("boot-state").textContent = "ready";
}

function fail(error) {
  byId("boot-state").textContent = "failed: " + error.message;
}

boot().catch(fail);
