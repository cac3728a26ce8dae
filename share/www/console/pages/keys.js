// My third-party API keys (CivitAI, Hugging Face): set or replace one, see whether one is
// stored, remove it. The server seals them and never sends them back, so neither does this page.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { announce, confirmAction, form, h, pageHeading } from "../ui.js";

const base = "/mss-login/api/model-download/api-keys";
const sources = [
  ["civitai", "CivitAI", "civitai.com → Account settings → API keys"],
  ["huggingface", "Hugging Face", "huggingface.co → Settings → Access Tokens (read)"],
];

export default {
  path: "/keys",
  title: "API keys of other services",
  summary: "Your CivitAI and Hugging Face keys for downloads.",
  nav: true,
  access: (me) => (me.permissions || []).includes("can_download_models"),
  async render(main) {
    main.append(
      pageHeading(t("API keys of other services")),
      h("p", { class: "muted" }, t("Downloads from these services use your own key. Keys are stored encrypted and are never shown again, not even to you.")),
    );
    const sections = h("div", { id: "keys" });
    main.append(sections);

    const draw = async () => {
      const { sources_with_keys: stored = [] } = await api.get(base);
      sections.replaceChildren(
        ...sources.map(([source, name, where]) => {
          const has = stored.includes(source);
          const keyForm = form({
            id: `key-form-${source}`,
            fields: [{ name: "api_key", label: has ? t("New {name} key", { name }) : t("{name} key", { name }), type: "password", required: true, autocomplete: "off", hint: t("Where to find it: {where}", { where }) }],
            submitLabel: has ? t("Replace key") : t("Save key"),
            async onSubmit(values) {
              await api.put(base, { source, api_key: values.api_key.trim() });
              announce(t("Your {name} key is stored.", { name }));
              await draw();
            },
          });
          const remove = has
            ? h("button", {
                type: "button",
                class: "danger",
                id: `key-remove-${source}`,
                onclick: async () => {
                  if (!(await confirmAction(t("Remove your {name} key? Downloads that need it will fail until you add one again.", { name }), t("Remove")))) return;
                  await api.put(base, { source, api_key: "" });
                  announce(t("Your {name} key is removed.", { name }));
                  await draw();
                },
              }, t("Remove key"))
            : null;
          return h(
            "section",
            { class: "card", "aria-labelledby": `key-heading-${source}`, dataset: { source } },
            h("h2", { id: `key-heading-${source}` }, name),
            h("p", { class: "key-status", id: `key-status-${source}` }, has ? t("A key is stored.") : t("No key stored.")),
            keyForm.element,
            remove,
          );
        }),
      );
    };
    await draw();
  },
};
