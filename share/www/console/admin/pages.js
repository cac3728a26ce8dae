// The admin pages, in the shape of pages/index.js: { path, title, nav, access, render }. Each
// page's `access` tests the signed-in user's effective permissions, the same ones the routes
// behind it check on the server (a hidden page is a convenience; the 403 is the guard).
import audit from "./audit.js";
import ipLists from "./ip-lists.js";
import metrics from "./metrics.js";
import nsfw from "./nsfw.js";
import permissions from "./permissions.js";
import policies from "./policies.js";
import sharing from "./sharing.js";
import users from "./users.js";

// The admin pages' own styles, next to the shell's stylesheet (a <link>, which the console's
// Content-Security-Policy allows from this origin).
if (!document.querySelector('link[href="/console/admin/admin.css"]')) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: "/console/admin/admin.css" }));
}

export default [users, permissions, sharing, ipLists, policies, nsfw, audit, metrics];
