// The audit log: who did what to which target, when and from where, newest first, filtered by
// person, action (a prefix: "user." finds every user change), target and time range, a page
// at a time (the server's `next` cursor; earlier cursors are kept for "Newer").
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, form, formatTime, h, pageHeading, table } from "../ui.js";
import { holds } from "./access.js";

const pageSize = 50;

/** A datetime-local value (the browser's local time) as ISO 8601 UTC for the server. */
function utc(local) {
  if (!local) return "";
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

function detailText(detail) {
  if (detail === null || detail === undefined) return "";
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

export default {
  path: "/admin/audit",
  title: "Audit log",
  nav: true,
  access: holds("can_view_audit"),
  async render(main, { params }) {
    const results = h("div", { id: "audit-results" });
    const cursors = [""]; // the `before` of each page shown so far; the last is the current page
    let query = {};

    const show = async () => {
      const search = new URLSearchParams({ ...query, limit: String(pageSize) });
      const before = cursors[cursors.length - 1];
      if (before) search.set("before", before);
      for (const [name, value] of [...search.entries()]) if (!value) search.delete(name);
      const answer = await api.get(`/mss-login/api/admin/audit?${search}`);
      const rows = answer.entries.map((entry) => [
        h("time", { datetime: entry.at }, formatTime(entry.at)),
        entry.actor,
        h("code", {}, entry.action),
        entry.target,
        entry.client,
        h("span", { class: "detail" }, detailText(entry.detail)),
      ]);
      const newer = h("button", { type: "button", id: "audit-newer", disabled: cursors.length === 1, onclick: async () => { cursors.pop(); await show(); } }, t("Newer"));
      const older = h("button", { type: "button", id: "audit-older", disabled: !answer.next, onclick: async () => { cursors.push(answer.next); await show(); } }, t("Older"));
      results.replaceChildren(
        table(t("Audit entries, newest first"), [t("When"), t("Who"), t("Action"), t("Target"), t("From"), t("Detail")], rows, { empty: t("No entries match.") }),
        h("nav", { class: "actions pager", "aria-label": t("Audit pages") }, newer, h("span", { class: "muted" }, t("Page {n}", { n: cursors.length })), older),
      );
    };

    const filters = form({
      id: "audit-filter",
      className: "filters",
      fields: [
        { name: "actor", label: t("Who"), value: params.get("actor") || "", placeholder: "alice", maxlength: 200 },
        { name: "action", label: t("Action starts with"), value: params.get("action") || "", placeholder: "user.", maxlength: 100 },
        { name: "target", label: t("Target"), value: params.get("target") || "", maxlength: 500 },
        { name: "since", label: t("From"), type: "datetime-local" },
        { name: "until", label: t("Until"), type: "datetime-local" },
      ],
      submitLabel: t("Filter"),
      async onSubmit(values) {
        query = { actor: values.actor.trim(), action: values.action.trim(), target: values.target.trim(), since: utc(values.since), until: utc(values.until) };
        cursors.splice(1);
        try {
          await show();
        } catch (e) {
          // A refused filter names its parameter; the form has a field of the same name.
          throw e.body && e.body.parameter ? new FieldError(e.body.parameter, e.message) : e;
        }
      },
    });
    main.append(pageHeading(t("Audit log")), h("div", { class: "card" }, filters.element), results);
    query = { actor: params.get("actor") || "", action: params.get("action") || "", target: params.get("target") || "" };
    await show();
  },
};
