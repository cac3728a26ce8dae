// Sign-in and security: change the password, turn two-factor sign-in on (QR code, backup
// codes) or off, and end sessions on other devices.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatTime, h, pageHeading, table } from "../ui.js";
import { enrolment } from "./mfa-enrolment.js";

function passwordSection(me) {
  const mayChange = (me.permissions || []).includes("edit_user_settings");
  const section = h("section", { class: "card", "aria-labelledby": "password-heading" }, h("h2", { id: "password-heading" }, t("Password")));
  if (!mayChange) {
    section.append(h("p", {}, t("Your account may not change its password here.")));
    return section;
  }
  const passwordForm = form({
    id: "password-form",
    fields: [
      { name: "current_password", label: t("Current password"), type: "password", required: true, autocomplete: "current-password" },
      { name: "new_password", label: t("New password"), type: "password", required: true, autocomplete: "new-password", hint: t("At least 8 characters; a few unusual words are easy to remember.") },
      { name: "repeat", label: t("New password again"), type: "password", required: true, autocomplete: "new-password" },
    ],
    submitLabel: t("Change password"),
    async onSubmit(values, formApi) {
      if (values.new_password !== values.repeat) throw new FieldError("repeat", t("The two new passwords differ."));
      await api.post("/mss-login/api/me/password", { current_password: values.current_password, new_password: values.new_password });
      formApi.reset();
      section.querySelector(".notice")?.remove();
      section.append(h("p", { class: "notice ok", role: "status", id: "password-changed" }, t("Password changed. Your other sessions have ended.")));
      announce(t("Password changed."));
    },
  });
  section.append(passwordForm.element);
  return section;
}

function mfaSection(me, { refreshMe, render }) {
  const section = h("section", { class: "card", "aria-labelledby": "mfa-heading", id: "mfa-section" }, h("h2", { id: "mfa-heading" }, t("Two-factor sign-in")));
  if (!me.mfa_enabled) {
    section.append(
      h("p", {}, t("Two-factor sign-in is off. With it on, signing in also needs a code from an app on your phone.")),
      h("button", {
        type: "button",
        class: "primary",
        id: "mfa-start",
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            const step = await enrolment({ onDone: async () => { await refreshMe(); await render(); } });
            section.replaceChildren(h("h2", { id: "mfa-heading" }, t("Two-factor sign-in")), step);
            section.querySelector("#mfa-qr, h2")?.scrollIntoView();
          } catch (e) {
            event.target.disabled = false;
            section.append(h("p", { class: "notice error", role: "alert" }, e.message));
          }
        },
      }, t("Set up two-factor sign-in")),
    );
    return section;
  }
  const disableForm = form({
    id: "mfa-disable-form",
    fields: [
      { name: "password", label: t("Password"), type: "password", required: true, autocomplete: "current-password" },
      { name: "code", label: t("Code from your authenticator app"), required: true, autocomplete: "one-time-code", inputmode: "numeric", maxlength: 6 },
    ],
    submitLabel: t("Turn off two-factor sign-in"),
    async onSubmit(values) {
      if (!(await confirmAction(t("Turn off two-factor sign-in? Your password alone will then sign you in."), t("Turn off")))) return;
      await api.post("/mss-login/api/mfa/disable", { password: values.password, code: values.code.trim() });
      announce(t("Two-factor sign-in is off."));
      await refreshMe();
      await render();
    },
  });
  section.append(h("p", { id: "mfa-state" }, t("Two-factor sign-in is on.")), h("details", {}, h("summary", {}, t("Turn it off")), disableForm.element));
  return section;
}

async function sessionsSection() {
  const section = h("section", { class: "card", "aria-labelledby": "sessions-heading" }, h("h2", { id: "sessions-heading" }, t("Where you are signed in")));
  const body = h("div");
  section.append(body);
  const refresh = async () => {
    const { sessions = [] } = await api.get("/mss-login/me/sessions");
    const rows = sessions.map((session) => [
      session.user_agent || t("unknown browser"),
      session.client || "",
      formatTime(session.last_used_at_iso),
      session.is_current
        ? t("this browser")
        : h("button", {
            type: "button",
            onclick: async () => {
              if (!(await confirmAction(t("Sign out that session?"), t("Sign out")))) return;
              await api.post("/mss-login/me/sessions/revoke", { jti: session.jti });
              announce(t("The session has ended."));
              await refresh();
            },
          }, t("Sign out")),
    ]);
    body.replaceChildren(table(t("Sessions"), [t("Browser"), t("Address"), t("Last used"), t("Action")], rows));
  };
  await refresh();
  return section;
}

export default {
  path: "/security",
  title: "Sign-in & security",
  summary: "Password, two-factor sign-in and where you are signed in.",
  nav: true,
  access: "authenticated",
  async render(main, context) {
    main.append(pageHeading(t("Sign-in & security")), passwordSection(context.me), mfaSection(context.me, context));
    if (context.me.token_kind === "session") main.append(await sessionsSection());
  },
};
