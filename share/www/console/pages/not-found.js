import { t } from "../i18n.js";
import { h, pageHeading } from "../ui.js";

export default {
  path: "",
  title: "Page not found",
  access: "public",
  render(main, { href }) {
    main.append(
      pageHeading(t("Page not found")),
      h("p", {}, t("The console has no page at this address.")),
      h("p", {}, h("a", { href: href("/") }, t("Go to the start page"))),
    );
  },
};
