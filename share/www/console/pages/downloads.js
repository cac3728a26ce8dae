// My downloads: start one from CivitAI (a model page's address or a version id) or Hugging
// Face (repository and file, or the file's address), follow each with a live progress bar
// (speed, time left) from the download_progress events on /ws, cancel one, read why one failed.
// Without /ws (no ComfyUI connection) the page asks the server every two seconds instead.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatBytes, formatDuration, formatTime, h, pageHeading } from "../ui.js";

const base = "/mss-login/api/model-download";
const finished = new Set(["completed", "failed", "cancelled"]);

/**
 * A CivitAI version from what a person pastes: a version id, a model page's address with
 * ?modelVersionId=, or a download address /api/download/models/<id>. Throws FieldError.
 */
export function civitaiVersion(text, hosts = []) {
  const value = text.trim();
  if (/^\d+$/.test(value)) return { model_version_id: value };
  let url;
  try {
    url = new URL(value);
  } catch (e) {
    throw new FieldError("civitai", t("Enter a CivitAI address (https://civitai.com/models/…?modelVersionId=…) or a version id (digits)."));
  }
  const order = {};
  if (hosts.includes(url.hostname)) order.civitai_host = url.hostname;
  else throw new FieldError("civitai", t("{host} is not a CivitAI site this server downloads from ({hosts}).", { host: url.hostname, hosts: hosts.join(", ") }));
  const fromQuery = url.searchParams.get("modelVersionId");
  const fromPath = url.pathname.match(/\/api\/download\/models\/(\d+)/);
  const id = fromQuery || (fromPath && fromPath[1]);
  if (!id || !/^\d+$/.test(id))
    throw new FieldError("civitai", t("This address names a model, not one of its versions. Pick the version on CivitAI and copy the address again (it then contains modelVersionId=)."));
  return { ...order, model_version_id: id };
}

/** A Hugging Face file from its address (…/org/repo/blob/<revision>/<path>) or repository + path. */
export function huggingFaceFile(repo, file) {
  const value = repo.trim();
  if (/^https?:\/\//.test(value)) {
    let url;
    try {
      url = new URL(value);
    } catch (e) {
      throw new FieldError("repo_id", t("Enter the repository as owner/name, or the file's address."));
    }
    const parts = url.pathname.split("/").filter(Boolean);
    const at = parts.findIndex((part) => part === "blob" || part === "resolve");
    if (parts.length < 2 || at !== 2 || parts.length < 5)
      throw new FieldError("repo_id", t("This address is not a file of a repository (…/owner/name/blob/main/file)."));
    return { repo_id: `${parts[0]}/${parts[1]}`, revision: decodeURIComponent(parts[3]), filename: parts.slice(4).map(decodeURIComponent).join("/") };
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(value)) throw new FieldError("repo_id", t("Enter the repository as owner/name, e.g. black-forest-labs/FLUX.1-dev."));
  if (!file.trim()) throw new FieldError("filename", t("Enter the file's path in the repository, e.g. flux1-dev.safetensors."));
  return { repo_id: value, filename: file.trim() };
}

function jobName(job) {
  if (job.destination) return job.destination.split("/").pop();
  if (job.filename) return job.filename.split("/").pop();
  if (job.repo_id) return job.repo_id;
  return job.model_version_id ? t("CivitAI version {id}", { id: job.model_version_id }) : job.job_id;
}

const statusText = {
  queued: "waiting",
  running: "downloading",
  completed: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** One job's card; update() redraws it from a job or a download_progress event. */
function jobCard(job, onCancel) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("Progress of {name}", { name: jobName(job) }) });
  const status = h("span", { class: "job-status" });
  const numbers = h("span", { class: "job-numbers" });
  const error = h("p", { class: "status-error job-error", role: "alert", hidden: true });
  const source = h("span", { class: "muted" });
  const folder = h("span", { class: "muted" });
  const cancel = h("button", { type: "button", class: "danger", onclick: () => onCancel(card) }, t("Cancel"));
  const actions = h("p", { class: "actions" }, cancel);
  const card = h(
    "li",
    { class: "card job", dataset: { job: job.job_id } },
    h("h3", { class: "job-name" }, jobName(job)),
    h("p", { class: "progress-line" }, status, numbers, source, folder),
    bar,
    error,
    actions,
  );
  card.job = { ...job };
  card.update = (change) => {
    Object.assign(card.job, Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)));
    const current = card.job;
    const pct = current.status === "completed" ? 100 : Number(current.progress_pct) || 0;
    bar.value = pct;
    bar.dataset.pct = String(pct);
    card.dataset.status = current.status;
    card.querySelector(".job-name").textContent = jobName(current);
    status.textContent = `${t(statusText[current.status] || current.status)} · ${pct.toFixed(pct === 100 ? 0 : 1)} %`;
    status.className = `job-status ${current.status === "failed" ? "status-error" : current.status === "completed" ? "status-done" : ""}`;
    const parts = [];
    if (current.total_bytes) parts.push(`${formatBytes(current.bytes_done || 0)} / ${formatBytes(current.total_bytes)}`);
    else if (current.bytes_done) parts.push(formatBytes(current.bytes_done));
    if (current.status === "running" && current.speed_bps) parts.push(`${formatBytes(current.speed_bps)}/s`);
    if (current.status === "running" && current.eta_seconds !== null && current.eta_seconds !== undefined)
      parts.push(t("{time} left", { time: formatDuration(current.eta_seconds) }));
    if (finished.has(current.status) && current.finished_at) parts.push(formatTime(current.finished_at));
    numbers.textContent = parts.join(" · ");
    error.hidden = !current.error;
    error.textContent = current.error ? t("Why: {reason}", { reason: current.error }) : "";
    // A card made from a progress event learns its source and folder from the next listing.
    source.textContent = { civitai: "CivitAI", huggingface: "Hugging Face" }[current.source] || "";
    folder.textContent = current.folder_type || "";
    actions.hidden = finished.has(current.status);
  };
  card.update({});
  return card;
}

export default {
  path: "/downloads",
  title: "Downloads",
  summary: "Download models from CivitAI and Hugging Face and follow their progress.",
  nav: true,
  access: (me) => (me.permissions || []).includes("can_download_models"),
  async render(main) {
    const [{ capabilities = {}, sources_with_keys: keys = [] }, { folders = [], default_folder: defaultFolder }] = await Promise.all([
      api.get(`${base}/sources`),
      api.get(`${base}/folders`),
    ]);
    const hosts = capabilities.civitai_hosts || ["civitai.com"];
    const cards = new Map();
    const list = h("ul", { id: "jobs", class: "plain-list", "aria-label": t("Your downloads") });
    const connection = h("p", { class: "muted", id: "live-state" });

    const cancelJob = async (card) => {
      const name = jobName(card.job);
      if (!(await confirmAction(t("Cancel the download of {name}? The part downloaded so far is deleted.", { name }), t("Cancel download")))) return;
      try {
        await api.post(`${base}/jobs/${encodeURIComponent(card.job.job_id)}/cancel`);
        announce(t("The download of {name} is cancelled.", { name }));
      } catch (e) {
        announce(e.message, { error: true });
      }
      await refresh();
    };

    const show = (job) => {
      let card = cards.get(job.job_id);
      if (!card) {
        card = jobCard(job, cancelJob);
        cards.set(job.job_id, card);
        list.prepend(card);
      } else {
        card.update(job);
      }
      return card;
    };

    const refresh = async () => {
      const { jobs = [] } = await api.get(`${base}/jobs`);
      for (const job of [...jobs].reverse()) show(job);
      list.hidden = cards.size === 0;
      empty.hidden = cards.size !== 0;
    };
    const empty = h("p", { class: "muted empty" }, t("You have not downloaded anything yet."));

    const keyNote = (source) =>
      capabilities.requires_api_key && capabilities.requires_api_key[source] && !keys.includes(source)
        ? h("p", { class: "notice" }, t("This source needs your own API key: "), h("a", { href: "/console/keys" }, t("add it on the keys page")), ".")
        : null;
    const folderField = { name: "folder_type", label: t("Folder"), type: "select", options: folders.map((folder) => [folder, folder]), value: defaultFolder };

    const started = async (name) => {
      announce(t("{name} is queued.", { name }));
      await refresh();
    };

    const civitaiForm = form({
      id: "civitai-form",
      fields: [
        { name: "civitai", label: t("CivitAI address or version id"), required: true, hint: t("Copy the address of the model page with the version selected, e.g. https://civitai.com/models/4201?modelVersionId=130072, or enter the version id.") },
        folderField,
      ],
      submitLabel: t("Download from CivitAI"),
      async onSubmit(values, formApi) {
        const order = civitaiVersion(values.civitai, hosts);
        await api.post(`${base}/download`, { source: "civitai", folder_type: values.folder_type, ...order });
        formApi.reset();
        await started(t("CivitAI version {id}", { id: order.model_version_id }));
      },
    });
    const hfForm = form({
      id: "hf-form",
      fields: [
        { name: "repo_id", label: t("Repository or file address"), required: true, hint: t("owner/name, or the address of the file on Hugging Face.") },
        { name: "filename", label: t("File in the repository"), hint: t("Its path, e.g. unet/flux1-dev.safetensors (not needed with a file address).") },
        folderField,
      ],
      submitLabel: t("Download from Hugging Face"),
      async onSubmit(values, formApi) {
        const order = huggingFaceFile(values.repo_id, values.filename);
        await api.post(`${base}/download`, { source: "huggingface", folder_type: values.folder_type, ...order });
        formApi.reset();
        await started(order.filename);
      },
    });

    main.append(
      pageHeading(t("Downloads")),
      h("div", { class: "columns" },
        h("section", { class: "card", "aria-labelledby": "civitai-heading" }, h("h2", { id: "civitai-heading" }, "CivitAI"), keyNote("civitai"), civitaiForm.element),
        h("section", { class: "card", "aria-labelledby": "hf-heading" }, h("h2", { id: "hf-heading" }, "Hugging Face"), keyNote("huggingface"), hfForm.element)),
      h("h2", {}, t("Your downloads")),
      connection,
      empty,
      list,
    );
    await refresh();

    // Live progress: the download_progress events on /ws; polling while it is not open.
    let socket = null;
    let poll = null;
    let closed = false;
    const startPolling = () => {
      if (poll || closed) return;
      connection.textContent = t("Updated every few seconds.");
      connection.dataset.state = "polling";
      poll = setInterval(() => refresh().catch(() => {}), 2000);
    };
    try {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/ws?clientId=console-${crypto.randomUUID().replace(/-/g, "")}`);
      socket.addEventListener("open", () => {
        connection.textContent = t("Live.");
        connection.dataset.state = "live";
        refresh().catch(() => {});
      });
      socket.addEventListener("message", (event) => {
        if (typeof event.data !== "string") return;
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (message.type !== "download_progress" || !message.data) return;
        const known = cards.has(message.data.job_id);
        const card = show(message.data);
        if (!known) refresh().catch(() => {});
        if (finished.has(message.data.status)) {
          const name = jobName(card.job);
          announce(message.data.status === "completed" ? t("{name} is downloaded.", { name }) : t("{name}: {status}", { name, status: t(statusText[message.data.status]) }));
        }
      });
      socket.addEventListener("close", startPolling);
      socket.addEventListener("error", startPolling);
    } catch (e) {
      startPolling();
    }
    return () => {
      closed = true;
      if (poll) clearInterval(poll);
      if (socket) socket.close();
    };
  },
};
