// Model sharing (the comfy-proxy module's routes): the models shared with one user, or with a
// role or group, each with who shared it and when it expires; share one more (a path as
// ComfyUI lists it, or a glob like sdxl/*) for a time or for good, and stop sharing one.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatTime, h, notice, pageHeading, table } from "../ui.js";
import { sharesModels } from "./access.js";

const base = (kind, name) =>
  kind === "group" ? `/mss-login/api/groups/${encodeURIComponent(name)}/shared-items` : `/mss-login/api/users/${encodeURIComponent(name)}/shared-items`;

/** Which field a refusal of POST .../shared-items is about, from the server's message. */
function fieldOf(message) {
  if (/item_name/.test(message)) return "item_name";
  if (/expires_in_hours/.test(message)) return "expires_in_hours";
  if (/folder/i.test(message)) return "folder";
  return "item_name";
}

export default {
  path: "/admin/sharing",
  title: "Model sharing",
  nav: true,
  access: sharesModels,
  async render(main, { params }) {
    const result = h("div", { id: "sharing-result" });
    let current = null;

    const show = async (kind, name) => {
      current = { kind, name };
      const answer = await api.get(base(kind, name));
      const now = Date.now();
      const rows = answer.items.map((item) => {
        const expired = item.expires_at && Date.parse(item.expires_at) <= now;
        return [
          item.folder,
          h("code", {}, item.item_name),
          item.expires_at ? h("span", { class: expired ? "status-error" : "" }, formatTime(item.expires_at), expired ? ` (${t("expired")})` : "") : t("never"),
          formatTime(item.created_at),
          h("button", {
            type: "button",
            class: "danger",
            onclick: async () => {
              if (!(await confirmAction(t("Stop sharing {item} with {name}?", { item: item.item_name, name }), t("Stop sharing")))) return;
              try {
                await api.del(base(kind, name), { folder: item.folder, item_name: item.item_name });
                announce(t("Sharing stopped."));
                await show(kind, name);
              } catch (e) {
                result.prepend(notice(e.message, "error"));
              }
            },
          }, t("Stop sharing")),
        ];
      });
      const add = form({
        id: "share-add",
        fields: [
          { name: "folder", label: t("Folder"), required: true, placeholder: "checkpoints", hint: t("A model folder as ComfyUI lists it: checkpoints, loras, ...") },
          { name: "item_name", label: t("Model"), required: true, placeholder: "sdxl/base.safetensors", hint: t("A path as ComfyUI lists it, or a glob: sdxl/* shares a subfolder, * the whole folder.") },
          { name: "expires_in_hours", label: t("Expires after (hours)"), type: "number", min: 1, inputmode: "numeric", hint: t("Empty: never expires.") },
        ],
        submitLabel: t("Share"),
        async onSubmit(values) {
          const body = { folder: values.folder.trim(), item_name: values.item_name.trim() };
          if (values.expires_in_hours.trim()) {
            const hours = Number(values.expires_in_hours);
            if (!Number.isFinite(hours) || hours <= 0) throw new FieldError("expires_in_hours", t("Enter a positive number of hours, or leave it empty."));
            body.expires_in_hours = hours;
          }
          try {
            await api.post(base(kind, name), body);
          } catch (e) {
            throw new FieldError(fieldOf(e.message), e.message);
          }
          announce(t("Shared."));
          await show(kind, name);
        },
      });
      result.replaceChildren(
        h("h2", {}, kind === "group" ? t("Shared with the group {name}", { name }) : t("Shared with {name}", { name })),
        table(t("Shared models"), [t("Folder"), t("Model"), t("Expires"), t("Shared on"), t("Actions")], rows, { empty: t("Nothing is shared yet.") }),
        h("h3", {}, t("Share a model")),
        h("div", { class: "card" }, add.element),
      );
    };

    const chooser = form({
      id: "share-who",
      fields: [
        { name: "kind", label: t("Share with"), type: "select", value: params.get("kind") || "user", options: [["user", t("a user")], ["group", t("a role or group")]] },
        { name: "name", label: t("Name"), required: true, value: params.get("name") || "", hint: t("A user name, or a role (power, user, ...) or group name.") },
      ],
      submitLabel: t("Show"),
      async onSubmit(values) {
        try {
          await show(values.kind, values.name.trim());
        } catch (e) {
          throw new FieldError("name", e.status === 404 && !e.body.error ? t("Model sharing is not available: the comfy-proxy module is not loaded.") : e.message);
        }
      },
    });
    main.append(pageHeading(t("Model sharing")), h("div", { class: "card" }, chooser.element), result);
    if (current === null && params.get("name")) await show(params.get("kind") || "user", params.get("name"));
  },
};
