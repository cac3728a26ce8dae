// Users: create, change role and groups, disable, reset MFA, delete — with the owner rules
// written out, and the buttons a rule forbids left out (the server enforces the same rules).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatTime, h, notice, pageHeading, table } from "../ui.js";
import { holds } from "./access.js";

// "user" first: the create form starts (and resets) there.
const roles = ["user", "power", "admin", "guest", "owner"];
const path = (user) => `/mss-login/api/users/${encodeURIComponent(user.username)}`;

/** What the signed-in person may do to `user`, by the rules AdminRoutes enforces. */
function rules(me, user) {
  const self = user.username.toLowerCase() === me.username.toLowerCase();
  const owner = user.role === "owner";
  const otherAdmin = user.role === "admin" && !self && me.role !== "owner";
  return {
    changeRole: !owner && !user.builtin && !otherAdmin,
    disable: !owner && !user.builtin && !self && !otherAdmin,
    resetMfa: user.mfa_enabled && (!owner || me.role === "owner"),
    remove: !owner && !user.builtin && !self,
  };
}

function roleEditor(me, user, reload) {
  const id = `role-${user.username}`;
  const groupsId = `groups-${user.username}`;
  const errorId = `${id}-error`;
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  const select = h(
    "select",
    { id, "aria-describedby": errorId },
    roles.filter((role) => role !== "owner" || me.role === "owner").map((role) => h("option", { value: role, selected: role === user.role }, role)),
  );
  const groups = h("input", {
    id: groupsId,
    value: user.groups.filter((group) => group !== user.role).join(", "),
    "aria-describedby": errorId,
    placeholder: t("more groups, comma separated"),
    spellcheck: "false",
  });
  const save = h("button", {
    type: "button",
    onclick: async () => {
      error.hidden = true;
      const extra = groups.value.split(",").map((group) => group.trim()).filter(Boolean);
      if (select.value === "owner" && !(await confirmAction(t("Make {name} the owner? You become an admin.", { name: user.username }), t("Transfer ownership")))) return;
      try {
        await api.put(path(user), { groups: [select.value, ...extra] });
        announce(t("{name} saved.", { name: user.username }));
        await reload();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        select.setAttribute("aria-invalid", "true");
        select.focus();
      }
    },
  }, t("Save"));
  return h(
    "div",
    { class: "inline-edit" },
    h("label", { class: "visually-hidden", for: id }, t("Role of {name}", { name: user.username })),
    select,
    h("label", { class: "visually-hidden", for: groupsId }, t("Groups of {name}", { name: user.username })),
    groups,
    save,
    error,
  );
}

function actions(me, user, reload) {
  const can = rules(me, user);
  const run = async (question, label, work, done) => {
    if (!(await confirmAction(question, label))) return;
    try {
      await work();
      announce(done);
      await reload();
    } catch (e) {
      announce(e.message, { error: true });
      await reload(e.message);
    }
  };
  const buttons = [];
  if (can.disable) {
    buttons.push(
      user.disabled
        ? h("button", { type: "button", onclick: () => run(t("Enable {name}? They can sign in again.", { name: user.username }), t("Enable"),
            () => api.put(path(user), { disabled: false }), t("{name} is enabled.", { name: user.username })) }, t("Enable"))
        : h("button", { type: "button", class: "danger", onclick: () => run(
            t("Disable {name}? They are signed out everywhere, their API tokens stop working, and they cannot sign in until enabled.", { name: user.username }),
            t("Disable"), () => api.put(path(user), { disabled: true }), t("{name} is disabled.", { name: user.username })) }, t("Disable")),
    );
  }
  if (can.resetMfa) {
    buttons.push(h("button", { type: "button", class: "danger", onclick: () => run(
      t("Reset two-factor sign-in of {name}? Their authenticator and backup codes stop working; they sign in with the password alone.", { name: user.username }),
      t("Reset MFA"), () => api.post(`${path(user)}/mfa/reset`, {}), t("Two-factor sign-in of {name} is reset.", { name: user.username })) }, t("Reset MFA")));
  }
  if (can.remove) {
    buttons.push(h("button", { type: "button", class: "danger", onclick: () => run(
      t("Delete {name}? Their sessions, API tokens, MFA and keys are deleted too. This cannot be undone.", { name: user.username }),
      t("Delete"), () => api.del(path(user)), t("{name} is deleted.", { name: user.username })) }, t("Delete")));
  }
  return h("div", { class: "actions" }, buttons);
}

function createForm(reload) {
  const created = form({
    id: "user-create",
    fields: [
      { name: "username", label: t("User name"), required: true, autocomplete: "off", hint: t("3 to 64 letters, digits or underscores."), maxlength: 64 },
      { name: "password", label: t("Password"), type: "password", required: true, autocomplete: "new-password" },
      { name: "role", label: t("Role"), type: "select", value: "user", options: roles.filter((role) => role !== "owner").map((role) => [role, role]) },
    ],
    submitLabel: t("Create user"),
    async onSubmit(values, formApi) {
      try {
        await api.post("/register", { new_user_username: values.username.trim(), new_user_password: values.password });
      } catch (e) {
        // Account rules answer with a code (invalid_username, username_exists, ...); the
        // password policy without one.
        throw new FieldError(e.code ? "username" : "password", e.message);
      }
      if (values.role !== "user") {
        try {
          await api.put(`/mss-login/api/users/${encodeURIComponent(values.username.trim())}`, { groups: [values.role] });
        } catch (e) {
          throw new FieldError("role", e.message);
        }
      }
      announce(t("{name} created.", { name: values.username.trim() }));
      formApi.reset();
      await reload();
    },
  });
  return created.element;
}

export default {
  path: "/admin/users",
  title: "Users",
  nav: true,
  access: holds("can_manage_users"),
  async render(main, { me }) {
    const list = h("div", { id: "user-list" });
    const reload = async (problem) => {
      const { users } = await api.get("/mss-login/api/users");
      const rows = users.map((user) => [
        h("span", {}, user.username, user.disabled ? h("span", { class: "badge danger-badge" }, t("disabled")) : null),
        rules(me, user).changeRole ? roleEditor(me, user, reload) : h("span", {}, [user.role, ...user.groups.filter((g) => g !== user.role)].join(", ")),
        user.mfa_enabled ? t("on") : t("off"),
        formatTime(user.last_login_at_iso) || "—",
        actions(me, user, reload),
      ]);
      list.replaceChildren(
        problem ? notice(problem, "error") : "",
        table(t("Users"), [t("User"), t("Role and groups"), t("MFA"), t("Last sign-in"), t("Actions")], rows),
      );
    };
    main.append(
      pageHeading(t("Users")),
      h(
        "details",
        { class: "card rules", open: true },
        h("summary", {}, t("Owner rules")),
        h(
          "ul",
          {},
          h("li", {}, t("There is exactly one owner. The owner cannot be demoted, disabled or deleted; the owner hands ownership to another user, and becomes an admin.")),
          h("li", {}, t("Only the owner changes another admin's role, disables an admin or resets the owner's MFA.")),
          h("li", {}, t("Nobody disables or deletes themselves. The built-in guest cannot be disabled or deleted.")),
          h("li", {}, t("Disabling signs the user out everywhere and stops their API tokens; enabling lets them sign in again.")),
        ),
      ),
      list,
      h("h2", {}, t("Create a user")),
      h("div", { class: "card" }, createForm(reload)),
    );
    await reload();
  },
};
