// NSFW tags (the comfy-proxy module): the newest verdicts an admin or a policy set on output
// files, and a form to tag a file NSFW or safe. Tags live in the database, never in the file;
// users with the SFW check on cannot open a file tagged NSFW.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatTime, h, notice, pageHeading, table } from "../ui.js";
import { holds } from "./access.js";

const mark = (body) => api.post("/mss-login-gallery/mark-nsfw", body);

export default {
  path: "/admin/nsfw",
  title: "NSFW tags",
  nav: true,
  access: holds("can_manage_nsfw"),
  async render(main) {
    const list = h("div", { id: "nsfw-list" });
    const onlyNsfw = h("input", { type: "checkbox", id: "nsfw-only", onchange: () => load() });
    const load = async (message) => {
      const { tags } = await api.get(`/mss-login/api/nsfw-tags?nsfw_only=${onlyNsfw.checked}`);
      const rows = tags.map((tag) => {
        const file = { filename: tag.filename, subfolder: tag.subfolder, type: tag.type };
        const place = [tag.type, tag.subfolder, tag.filename].filter(Boolean).join("/");
        return [
          h("code", {}, place),
          tag.is_nsfw ? h("strong", { class: "status-error" }, t("NSFW")) : t("safe"),
          `${tag.label} (${tag.score})`,
          tag.tagged_by,
          formatTime(tag.tagged_at),
          h("button", {
            type: "button",
            class: tag.is_nsfw ? "" : "danger",
            onclick: async () => {
              const question = tag.is_nsfw ? t("Tag {file} safe? Everyone may see it again.", { file: place }) : t("Tag {file} NSFW?", { file: place });
              if (!(await confirmAction(question, tag.is_nsfw ? t("Tag safe") : t("Tag NSFW")))) return;
              try {
                await mark({ ...file, is_nsfw: !tag.is_nsfw });
                await load(t("{file} is tagged.", { file: place }));
              } catch (e) {
                list.prepend(notice(e.message, "error"));
              }
            },
          }, tag.is_nsfw ? t("Tag safe") : t("Tag NSFW")),
        ];
      });
      list.replaceChildren(
        message ? notice(message, "ok") : "",
        table(t("Tagged files, newest first"), [t("File"), t("Verdict"), t("Label (score)"), t("By"), t("When"), t("Actions")], rows, { empty: t("No file is tagged.") }),
      );
    };
    const tagForm = form({
      id: "nsfw-mark",
      fields: [
        { name: "filename", label: t("File name"), required: true, placeholder: "ComfyUI_00001_.png" },
        { name: "subfolder", label: t("Subfolder"), placeholder: "alice" },
        { name: "type", label: t("Type"), type: "select", value: "output", options: [["output", "output"], ["input", "input"], ["temp", "temp"]] },
        { name: "verdict", label: t("Verdict"), type: "select", value: "nsfw", options: [["nsfw", t("NSFW")], ["safe", t("safe")]] },
      ],
      submitLabel: t("Tag the file"),
      async onSubmit(values, formApi) {
        try {
          await mark({ filename: values.filename.trim(), subfolder: values.subfolder.trim(), type: values.type, is_nsfw: values.verdict === "nsfw" });
        } catch (e) {
          throw new FieldError(/subfolder/.test(e.message) ? "subfolder" : "filename", e.message);
        }
        announce(t("The file is tagged."));
        formApi.reset();
        await load(t("The file is tagged."));
      },
    });
    main.append(
      pageHeading(t("NSFW tags")),
      h("div", { class: "card" }, h("h2", {}, t("Tag a file")), tagForm.element),
      h("p", {}, onlyNsfw, " ", h("label", { for: "nsfw-only" }, t("Only files tagged NSFW"))),
      list,
    );
    await load();
  },
};
