// Sign in: password, then the second factor (a code from the authenticator app or one of the
// backup codes) when the account has one, or enrolment when the account must have one.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, form, h, pageHeading } from "../ui.js";
import { enrolment } from "./mfa-enrolment.js";

/** Where to go after signing in: a console page from ?next=, never another site. */
function nextRoute(params) {
  const next = params.get("next") || "/";
  return /^\/(?![\/\\])[^\\\s]*$/.test(next) ? next : "/";
}

export default {
  path: "/sign-in",
  title: "Sign in",
  access: "public",
  async render(main, { me, navigate, refreshMe, render, params }) {
    const target = nextRoute(params);
    const [route, query] = target.split("?");
    const finish = async () => {
      await refreshMe();
      announce(t("You are signed in."));
      await navigate(route, { replace: true, query: query || "" });
    };
    if (me.authenticated) {
      await navigate(route, { replace: true, query: query || "" });
      return;
    }

    const section = h("section", { class: "card narrow", "aria-labelledby": "sign-in-heading" });
    const heading = pageHeading(t("Sign in"));
    heading.id = "sign-in-heading";
    main.append(section);

    const showStep = (...children) => {
      section.replaceChildren(heading, ...children);
      const first = section.querySelector("input, button");
      if (first) first.focus();
    };

    const secondFactor = (tempToken) => {
      let useBackup = false;
      const codeForm = form({
        id: "mfa-form",
        fields: [
          { name: "code", label: t("Code from your authenticator app"), required: true, autocomplete: "one-time-code", inputmode: "numeric", maxlength: 6, hint: t("Six digits, they change every 30 seconds.") },
        ],
        submitLabel: t("Verify"),
        async onSubmit(values) {
          const body = { mfa_temp_token: tempToken };
          if (useBackup) body.backup_code = values.code.trim();
          else body.code = values.code.trim();
          try {
            await api.post("/mss-login/api/mfa/verify", body);
          } catch (e) {
            if (e.status === 400 && e.body.remaining_attempts !== undefined)
              throw new FieldError("code", t("{message} ({count} attempts left)", { message: e.message, count: e.body.remaining_attempts }));
            if (e.status === 401 || e.status === 410) throw new Error(t("The sign-in took too long. Enter your password again."));
            throw new FieldError("code", e.message);
          }
          await finish();
        },
      });
      const toggle = h("button", {
        type: "button",
        class: "link",
        id: "use-backup-code",
        onclick: () => {
          useBackup = !useBackup;
          const input = codeForm.inputs.code;
          const label = codeForm.element.querySelector(`label[for="${input.id}"]`);
          label.firstChild.textContent = useBackup ? t("Backup code") : t("Code from your authenticator app");
          input.removeAttribute("maxlength");
          input.inputMode = useBackup ? "text" : "numeric";
          input.nextElementSibling.textContent = useBackup ? t("One of the backup codes you saved; each works once.") : t("Six digits, they change every 30 seconds.");
          toggle.textContent = useBackup ? t("Use the authenticator app instead") : t("Use a backup code instead");
          input.value = "";
          input.focus();
        },
      }, t("Use a backup code instead"));
      showStep(h("p", {}, t("Your account has two-factor sign-in.")), codeForm.element, toggle);
    };

    const credentials = form({
      id: "sign-in-form",
      fields: [
        { name: "username", label: t("User name"), required: true, autocomplete: "username" },
        { name: "password", label: t("Password"), type: "password", required: true, autocomplete: "current-password" },
      ],
      submitLabel: t("Sign in"),
      async onSubmit(values) {
        let answer;
        try {
          answer = await api.post("/login", { username: values.username, password: values.password });
        } catch (e) {
          if (e.status === 401) throw new FieldError("password", t("The user name or the password is wrong."));
          throw e;
        }
        if (answer.mfa_required) return secondFactor(answer.mfa_temp_token);
        if (answer.mfa_setup_required) {
          const step = await enrolment({ tempToken: answer.mfa_temp_token, onDone: finish });
          return showStep(h("p", {}, t("Your account needs two-factor sign-in. Set it up now.")), step);
        }
        await finish();
      },
    });
    showStep(credentials.element);
  },
};
