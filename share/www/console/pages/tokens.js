// My API tokens: create one with a label and a lifetime (shown once, with a copy button),
// see when each was last used, revoke one after confirming.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { announce, confirmAction, copyButton, form, formatTime, h, pageHeading, table } from "../ui.js";

const lifetimes = [
  [24, "1 day"],
  [168, "7 days"],
  [720, "30 days"],
  [2160, "90 days"],
  [8760, "1 year"],
];

export default {
  path: "/tokens",
  title: "API tokens",
  summary: "Tokens that let your programs act as you.",
  nav: true,
  access: "authenticated",
  async render(main, { me }) {
    const mayCreate = (me.permissions || []).includes("can_have_api_tokens");
    const list = h("div", { id: "token-list" });
    const created = h("div", { id: "token-created", "aria-live": "polite" });

    const refresh = async () => {
      const { tokens = [] } = await api.get("/mss-login/api/tokens");
      const rows = tokens.map((token) => [
        token.label || t("(no label)"),
        formatTime(token.created_iso),
        token.expires_iso ? formatTime(token.expires_iso) : t("never"),
        token.last_used_iso ? formatTime(token.last_used_iso) : t("not yet"),
        h("button", {
          type: "button",
          class: "danger",
          dataset: { prefix: token.token_hash_prefix },
          "aria-label": t("Revoke {label}", { label: token.label || token.token_hash_prefix }),
          onclick: async () => {
            const label = token.label || token.token_hash_prefix;
            if (!(await confirmAction(t("Revoke the token {label}? Programs that use it stop working at once.", { label }), t("Revoke")))) return;
            try {
              await api.del("/mss-login/api/tokens", { token_hash_prefix: token.token_hash_prefix });
              announce(t("The token {label} is revoked.", { label }));
            } catch (e) {
              announce(e.message, { error: true });
            }
            await refresh();
          },
        }, t("Revoke")),
      ]);
      list.replaceChildren(table(t("Your API tokens"), [t("Label"), t("Created"), t("Expires"), t("Last used"), t("Action")], rows, { empty: t("You have no API tokens.") }));
    };

    main.append(pageHeading(t("API tokens")), h("p", { class: "muted" }, t("A token lets a program (a script, an app) act as you. Give each program its own token, so you can revoke one without the others.")));
    if (mayCreate) {
      const options = lifetimes.map(([hours, label]) => [String(hours), t(label)]);
      if ((me.permissions || []).includes("can_have_non_expiring_jwt")) options.push(["0", t("never expires")]);
      const createForm = form({
        id: "token-form",
        fields: [
          { name: "label", label: t("Label"), required: true, maxlength: 100, hint: t("What uses this token, e.g. \"laptop script\".") },
          { name: "expire_hours", label: t("Expires after"), type: "select", options, value: "720" },
        ],
        submitLabel: t("Create token"),
        async onSubmit(values, formApi) {
          const answer = await api.post("/mss-login/generate_token", { label: values.label.trim(), expire_hours: Number(values.expire_hours) });
          const value = h("code", { id: "new-token", class: "secret" }, answer.jwt_token);
          created.replaceChildren(
            h("div", { class: "card token-once", role: "status" },
              h("h2", {}, t("Your new token")),
              h("p", {}, t("Copy it now: it is shown only once.")),
              h("p", {}, value),
              h("p", { class: "actions" }, copyButton(answer.jwt_token), h("button", { type: "button", onclick: () => created.replaceChildren() }, t("Done, hide it")))),
          );
          formApi.reset();
          announce(t("Token created. Copy it now: it is shown only once."));
          await refresh();
        },
      });
      main.append(h("section", { class: "card", "aria-labelledby": "token-form-heading" }, h("h2", { id: "token-form-heading" }, t("New token")), createForm.element), created);
    } else {
      main.append(h("p", { class: "notice" }, t("Your account may not create API tokens. Ask an administrator if you need one.")));
    }
    main.append(list);
    await refresh();
  },
};
