// My workflows (kept by the gateway's userdata module): the list with where each comes from,
// each one's earlier versions, restoring one of them, downloading and deleting a workflow.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { announce, confirmAction, formatBytes, formatTime, h, pageHeading, table } from "../ui.js";

const fileUrl = (path) => `/userdata/${encodeURIComponent(`workflows/${path}`)}`;
const versionsUrl = (path) => `/mss-login/api/workflows/${encodeURIComponent(path)}/versions`;

export default {
  path: "/workflows",
  title: "Workflows",
  summary: "Your saved workflows and their earlier versions.",
  nav: true,
  access: (me) => (me.permissions || []).includes("can_access_api"),
  async render(main, { me }) {
    const mayModify = (me.permissions || []).includes("can_modify_workflows");
    const listBox = h("div", { id: "workflow-list" });
    const versionsBox = h("section", { id: "workflow-versions", class: "card", hidden: true, "aria-live": "polite" });
    main.append(pageHeading(t("Workflows")), h("p", { class: "muted" }, t("The workflows you saved in ComfyUI through this server, and the shared ones every user sees.")), listBox, versionsBox);

    const showVersions = async (entry) => {
      const { versions = [] } = await api.get(versionsUrl(entry.path));
      const rows = versions.map((version) => [
        formatTime(version.saved_at),
        formatBytes(version.size),
        h("a", { href: `${versionsUrl(entry.path)}/${version.id}`, download: `${entry.path.split("/").pop().replace(/\.json$/, "")}-v${version.id}.json` }, t("Download")),
        mayModify
          ? h("button", {
              type: "button",
              dataset: { version: version.id },
              onclick: async () => {
                if (!(await confirmAction(t("Make the version of {time} the current {name}? The current content is kept as a version.", { time: formatTime(version.saved_at), name: entry.path }), t("Restore")))) return;
                await api.post(`${versionsUrl(entry.path)}/${version.id}/restore`);
                announce(t("{name} is restored.", { name: entry.path }));
                await refresh();
                await showVersions(entry);
              },
            }, t("Restore"))
          : "",
      ]);
      versionsBox.hidden = false;
      versionsBox.replaceChildren(
        h("h2", { id: "versions-heading", tabindex: "-1" }, t("Earlier versions of {name}", { name: entry.path })),
        table(t("Versions"), [t("Saved"), t("Size"), t("File"), t("Action")], rows, { empty: t("No earlier versions: it was saved once.") }),
      );
      versionsBox.querySelector("#versions-heading").focus();
    };

    const refresh = async () => {
      let entries = [];
      try {
        entries = await api.get("/userdata?dir=workflows&recurse=true&full_info=true");
      } catch (e) {
        if (e.status !== 404) throw e; // no workflows folder yet
      }
      const rows = (Array.isArray(entries) ? entries : [])
        .filter((entry) => entry.path.endsWith(".json"))
        .map((entry) => {
          const own = entry.source !== "global";
          return [
            h("span", { class: "workflow-name", dataset: { path: entry.path } }, entry.path),
            own ? (entry.overrides_global ? t("yours (replaces a shared one)") : t("yours")) : t("shared"),
            formatTime(entry.modified),
            formatBytes(entry.size),
            h("span", { class: "actions" },
              h("a", { href: fileUrl(entry.path), download: entry.path.split("/").pop() }, t("Download")),
              own ? h("button", { type: "button", onclick: () => showVersions(entry) }, t("Versions")) : null,
              own && mayModify
                ? h("button", {
                    type: "button",
                    class: "danger",
                    onclick: async () => {
                      if (!(await confirmAction(t("Delete the workflow {name}? Its last content stays among its versions.", { name: entry.path }), t("Delete")))) return;
                      await api.del(fileUrl(entry.path));
                      announce(t("{name} is deleted.", { name: entry.path }));
                      versionsBox.hidden = true;
                      await refresh();
                    },
                  }, t("Delete"))
                : null),
          ];
        });
      listBox.replaceChildren(table(t("Your workflows"), [t("Name"), t("Whose"), t("Changed"), t("Size"), t("Actions")], rows, { empty: t("No workflows yet. Save one in ComfyUI and it appears here.") }));
    };
    await refresh();
  },
};
