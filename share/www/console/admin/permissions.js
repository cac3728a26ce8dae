// The role × permission matrix: every declared permission with its description (rows, by the
// module that declares it) against the roles (columns). Saving sends only the flags that
// changed; the server merges them flag by flag, persists them and applies them to the next
// request of every user with that role.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { announce, h, notice, pageHeading } from "../ui.js";
import { holds } from "./access.js";

const editableRoles = ["admin", "power", "user", "guest"];

export default {
  path: "/admin/permissions",
  title: "Permissions",
  nav: true,
  access: holds("can_manage_users"),
  async render(main) {
    const [{ permissions }, { groups }] = await Promise.all([api.get("/mss-login/api/permissions"), api.get("/mss-login/api/groups")]);
    const boxes = [];
    const status = h("div", { id: "matrix-status" });
    const rows = [];
    let lastGroup = null;
    for (const permission of permissions) {
      if (permission.group !== lastGroup) {
        lastGroup = permission.group;
        rows.push(h("tr", { class: "group-row" }, h("th", { scope: "rowgroup", colspan: editableRoles.length + 1 }, permission.group)));
      }
      const descriptionId = `perm-${permission.id}-description`;
      rows.push(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, h("code", {}, permission.id), h("p", { class: "hint", id: descriptionId }, permission.description)),
          editableRoles.map((role) => {
            const checked = Boolean(groups[role] && groups[role][permission.id]);
            const box = h("input", {
              type: "checkbox",
              checked,
              id: `perm-${role}-${permission.id}`,
              dataset: { role, permission: permission.id, original: String(checked) },
              "aria-label": t("{permission} for {role}", { permission: permission.id, role }),
              "aria-describedby": descriptionId,
              onchange: (event) => event.target.closest("td").classList.toggle("changed", String(event.target.checked) !== event.target.dataset.original),
            });
            boxes.push(box);
            return h("td", { class: "cell" }, box);
          }),
        ),
      );
    }
    const save = h("button", {
      type: "button",
      class: "primary",
      id: "matrix-save",
      onclick: async () => {
        const changes = {};
        for (const box of boxes) {
          if (String(box.checked) === box.dataset.original) continue;
          (changes[box.dataset.role] ||= {})[box.dataset.permission] = box.checked;
        }
        if (!Object.keys(changes).length) {
          status.replaceChildren(notice(t("Nothing changed."), "info"));
          return;
        }
        save.disabled = true;
        try {
          await api.put("/mss-login/api/groups", { groups: changes });
          for (const box of boxes) {
            box.dataset.original = String(box.checked);
            box.closest("td").classList.remove("changed");
          }
          status.replaceChildren(notice(t("Permissions saved. They apply from each user's next request."), "ok"));
          announce(t("Permissions saved."));
        } catch (e) {
          status.replaceChildren(notice(e.message, "error"));
        } finally {
          save.disabled = false;
        }
      },
    }, t("Save permissions"));
    main.append(
      pageHeading(t("Permissions")),
      h("p", { class: "muted" }, t("The owner holds every permission. A change applies to everyone with that role; a user's extra groups and the groups policy may add more.")),
      h(
        "div",
        { class: "table-scroll matrix" },
        h(
          "table",
          { id: "permission-matrix" },
          h("caption", {}, t("Permissions by role")),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("Permission")), editableRoles.map((role) => h("th", { scope: "col" }, role)))),
          h("tbody", {}, rows),
        ),
      ),
      h("div", { class: "actions sticky-actions" }, save),
      status,
    );
  },
};
