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

// The real front end sends the selected user (userStore) as Comfy-User with every API call.
function selectedUser() {
  try {
    return localStorage["Comfy.userId"] || "";
  } catch (e) {
    return "";
  }
}

async function call(path, options = {}) {
  const headers = Object.assign({ "Comfy-User": selectedUser() }, options.headers || {});
  const response = await fetch("/api" + path, Object.assign({ cache: "no-cache" }, options, { headers }));
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

// The graph as the UI saves it (a LiteGraph workflow: nodes with widget values, links).
function uiWorkflow(marker) {
  const nodes = [];
  const links = [];
  for (const [id, node] of Object.entries(workflow)) {
    const inputs = [];
    const widgets = [];
    for (const [name, value] of Object.entries(node.inputs)) {
      if (Array.isArray(value)) {
        const link = links.length + 1;
        links.push([link, Number(value[0]), value[1], Number(id), inputs.length, "*"]);
        inputs.push({ name, type: "*", link });
      } else {
        widgets.push(value);
      }
    }
    nodes.push({ id: Number(id), type: node.class_type, pos: [nodes.length * 250, 100], size: [240, 120], flags: {},
                 order: nodes.length, mode: 0, inputs, outputs: [],
                 properties: { "Node name for S&R": node.class_type }, widgets_values: widgets });
  }
  return { last_node_id: Math.max(...nodes.map((n) => n.id)), last_link_id: links.length, nodes, links, groups: [],
           config: {}, extra: { marker }, version: 0.4 };
}

const listingPath = "/userdata?dir=workflows&recurse=true&split=false&full_info=true";

/// Fills #workflow-list from the full_info listing (ComfyUI answers 404 while there is no folder).
async function listWorkflows() {
  const response = await call(listingPath);
  if (response.status === 404) return byId("workflow-list").replaceChildren();
  if (!response.ok) throw new Error("the workflow listing answered " + response.status);
  const files = await response.json();
  byId("workflow-list").replaceChildren(...files.map((file) => {
    const item = document.createElement("li");
    item.dataset.path = file.path;
    item.dataset.size = String(file.size);
    item.textContent = file.path;
    return item;
  }));
}

function workflowFile() {
  const name = byId("workflow-name").value.trim();
  if (!name) throw new Error("no workflow name");
  return "workflows/" + name + ".json";
}

async function saveWorkflow() {
  const file = workflowFile();
  const answer = await json("/userdata/" + encodeURIComponent(file) + "?overwrite=true&full_info=true", {
    method: "POST",
    body: JSON.stringify(uiWorkflow(byId("workflow-name").value.trim())),
  });
  byId("save-state").textContent = "saved " + answer.path;
  await listWorkflows();
}

async function openWorkflow() {
  const file = workflowFile();
  const response = await call("/userdata/" + encodeURIComponent(file));
  if (!response.ok) {
    byId("opened-workflow").textContent = "error " + response.status;
    return;
  }
  const opened = await response.json();
  byId("opened-workflow").textContent = `${file}: ${opened.nodes.length} nodes, marker ${opened.extra.marker}`;
}

async function setSetting() {
  const value = byId("setting-value").value;
  const response = await call("/settings/" + encodeURIComponent("Comfy.TestSetting"), {
    method: "POST",
    body: JSON.stringify(value),
  });
  if (!response.ok) throw new Error("storing the setting answered " + response.status);
  byId("setting-state").textContent = "stored";
}

function onClick(id, action) {
  byId(id).addEventListener("click", () => action().catch(fail));
}

async function boot() {
  const users = await json("/users");
  // The real front end (userStore.needsLogin) shows its user-selection screen when the server
  // lists users and localStorage names none of them: the gateway's sign-in page selects it.
  if (users && users.users && !Object.prototype.hasOwnProperty.call(users.users, selectedUser()))
    throw new Error("needs user selection");
  const settings = await json("/settings");
  byId("test-setting").textContent = JSON.stringify(settings["Comfy.TestSetting"] ?? null);
  await json("/object_info");
  await listWorkflows();
  await openSocket();
  for (const script of await json("/extensions")) await import(script);
  await refresh();
  onClick("queue-button", queuePrompt);
  onClick("refresh-button", refresh);
  onClick("save-workflow", saveWorkflow);
  onClick("open-workflow", openWorkflow);
  onClick("set-setting", setSetting);
  byId("boot-state").textContent = "ready";
}

function fail(error) {
  byId("boot-state").textContent = "failed: " + error.message;
}

boot().catch(fail);
