// MFA enrolment, shared by the sign-in (an account that must enrol) and the security page:
// the QR code (drawn by the server, shown as an image, so the secret never leaves this origin),
// the secret to type in by hand, the backup codes to save, and the first code to confirm.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, copyButton, form, h } from "../ui.js";

/**
 * Starts enrolment and returns its element. `tempToken`: the mfa_temp_token of a sign-in that
 * must enrol (none when signed in). `onDone` runs after the code is confirmed.
 */
export async function enrolment({ tempToken, onDone }) {
  const withToken = (body) => (tempToken ? { ...body, mfa_temp_token: tempToken } : body);
  const setup = await api.post("/mss-login/api/mfa/setup", withToken({}));
  const codes = setup.backup_codes || [];
  const confirm = form({
    id: "mfa-enrol-form",
    fields: [
      { name: "code", label: t("Code from your authenticator app"), required: true, autocomplete: "one-time-code", inputmode: "numeric", maxlength: 6, hint: t("Enter the code the app shows now to finish.") },
    ],
    submitLabel: t("Turn on two-factor sign-in"),
    async onSubmit(values) {
      try {
        await api.post("/mss-login/api/mfa/verify-setup", withToken({ code: values.code.trim() }));
      } catch (e) {
        throw new FieldError("code", e.message);
      }
      announce(t("Two-factor sign-in is on."));
      await onDone();
    },
  });
  return h(
    "div",
    { class: "stack", id: "mfa-enrolment" },
    h("h2", {}, t("1. Scan the QR code")),
    h("p", {}, t("Scan it with an authenticator app (for example Aegis, FreeOTP or Google Authenticator).")),
    setup.qr_svg
      ? h("img", { class: "qr", id: "mfa-qr", src: `data:image/svg+xml;base64,${btoa(setup.qr_svg)}`, alt: t("QR code of the sign-in secret"), width: 220, height: 220 })
      : null,
    h(
      "details",
      {},
      h("summary", {}, t("Cannot scan? Enter the secret by hand")),
      h("p", {}, h("code", { id: "mfa-secret", class: "secret" }, setup.secret), " ", copyButton(setup.secret)),
    ),
    h("h2", {}, t("2. Save your backup codes")),
    h("p", {}, t("Each code signs you in once if you lose your phone. They are shown only now.")),
    h("pre", { id: "mfa-backup-codes", class: "codes", tabindex: "0", "aria-label": t("Backup codes") }, codes.join("\n")),
    h("p", {}, copyButton(codes.join("\n"), t("Copy the backup codes"))),
    h("h2", {}, t("3. Confirm")),
    confirm.element,
  );
}
