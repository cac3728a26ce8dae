// The start page: who is signed in, with which role, and the pages they may open.
import { t } from "../i18n.js";
import { h, pageHeading } from "../ui.js";

export default {
  path: "/",
  title: "Overview",
  nav: true,
  access: "authenticated",
  render(main, { me, pages, href }) {
    const facts = [
      [t("User"), me.username],
      [t("Role"), me.role],
      [t("Groups"), (me.groups || []).join(", ") || "—"],
      [t("Two-factor sign-in"), me.mfa_enabled ? t("on") : t("off")],
    ];
    main.append(
      pageHeading(t("Overview")),
      h("dl", { class: "facts", id: "me" }, facts.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
      h("h2", {}, t("What would you like to do?")),
      h("ul", { class: "plain-list shortcuts" },
        pages.filter((page) => page.summary).map((page) =>
          h("li", { class: "card" }, h("a", { href: href(page.path) }, t(page.title)), h("p", { class: "muted" }, t(page.summary))))),
    );
  },
};
