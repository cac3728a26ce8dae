// IP allow and block lists (the auth module's /mss-login/api/ip-lists). The server validates
// every entry; its message names the entry, which is shown next to the field it came from.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, confirmAction, form, formatTime, h, notice, pageHeading, table } from "../ui.js";
import { holds } from "./access.js";

const route = "/mss-login/api/ip-lists";

/** A block list entry as PUT takes it back: permanent, or the hours it has left (rounded up). */
function kept(entry) {
  if (entry.permanent) return { ip: entry.ip, permanent: true };
  const hours = Math.max(1, Math.ceil((Date.parse(entry.expires_at) - Date.now()) / 3600000));
  return { ip: entry.ip, permanent: false, expires_in_hours: hours };
}

export default {
  path: "/admin/ip-lists",
  title: "IP lists",
  nav: true,
  access: holds("can_manage_users"),
  async render(main) {
    const section = h("div", { id: "ip-lists" });
    const load = async (message, kind = "ok") => {
      const lists = await api.get(route);
      const allow = form({
        id: "ip-allow",
        fields: [
          {
            name: "whitelist",
            label: t("Allow list"),
            type: "textarea",
            rows: 5,
            value: lists.whitelist.join("\n"),
            hint: t("One address or CIDR range per line (192.168.1.0/24, 2001:db8::/32). Addresses on it are never blocked. Empty: no allow list."),
          },
        ],
        submitLabel: t("Save the allow list"),
        async onSubmit(values) {
          const whitelist = values.whitelist.split("\n").map((line) => line.trim()).filter(Boolean);
          try {
            await api.put(route, { whitelist });
          } catch (e) {
            throw new FieldError("whitelist", e.message);
          }
          announce(t("Allow list saved."));
          await load(t("Allow list saved."));
        },
      });
      const rows = lists.blacklist.map((entry) => [
        h("code", {}, entry.ip),
        entry.permanent ? t("permanent") : formatTime(entry.expires_at),
        entry.reason || "",
        h("button", {
          type: "button",
          onclick: async () => {
            if (!(await confirmAction(t("Unblock {ip}?", { ip: entry.ip }), t("Unblock")))) return;
            try {
              await api.put(route, { blacklist: lists.blacklist.filter((other) => other !== entry).map(kept) });
              await load(t("{ip} is unblocked.", { ip: entry.ip }));
            } catch (e) {
              await load(e.message, "error");
            }
          },
        }, t("Unblock")),
      ]);
      const block = form({
        id: "ip-block",
        fields: [
          { name: "ip", label: t("Address or range to block"), required: true, placeholder: "203.0.113.7", maxlength: 100 },
          { name: "hours", label: t("For how many hours"), type: "number", min: 1, inputmode: "numeric", hint: t("Empty: until unblocked.") },
        ],
        submitLabel: t("Block"),
        async onSubmit(values) {
          const entry = { ip: values.ip.trim(), permanent: true };
          if (values.hours.trim()) {
            const hours = Number(values.hours);
            if (!Number.isInteger(hours) || hours <= 0) throw new FieldError("hours", t("Enter a whole number of hours, or leave it empty."));
            Object.assign(entry, { permanent: false, expires_in_hours: hours });
          }
          try {
            await api.put(route, { blacklist: [...lists.blacklist.map(kept), entry] });
          } catch (e) {
            throw new FieldError("ip", e.message);
          }
          announce(t("{ip} is blocked.", { ip: entry.ip }));
          await load(t("{ip} is blocked.", { ip: entry.ip }));
        },
      });
      section.replaceChildren(
        message ? notice(message, kind) : "",
        h("h2", {}, t("Allow list")),
        h("div", { class: "card" }, allow.element),
        h("h2", {}, t("Block list")),
        table(t("Blocked addresses"), [t("Address"), t("Until"), t("Reason"), t("Actions")], rows, { empty: t("No address is blocked.") }),
        h("div", { class: "card" }, block.element),
      );
    };
    main.append(pageHeading(t("IP lists")), section);
    await load();
  },
};
