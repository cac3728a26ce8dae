// The console's shell: finds who is signed in, draws the navigation for what they may do, and
// routes /console/<page> to the page modules (history API; the server answers every page path
// with this same index.html). Pages are plain modules: see pages/index.js.
import * as api from "./api.js";
import { chooseLanguage, language, languages, startLanguage, t, translateDocument } from "./i18n.js";
import { announce, h } from "./ui.js";
import userPages from "./pages/index.js";
import adminPages from "./admin/pages.js";
import notFound from "./pages/not-found.js";

const base = "/console";
const pages = [...userPages, ...adminPages];
const state = { me: { authenticated: false }, cleanup: null, rendering: 0 };

/** The page path inside the console ("/", "/tokens", ...) of a location path. */
function routeOf(pathname) {
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) : pathname;
  const route = rest.replace(/\/+$/, "");
  return route === "" ? "/" : route;
}

function pageFor(route) {
  return pages.find((page) => page.path === route) || notFound;
}

/** Whether the signed-in person may open a page: "public", "authenticated" or a test of `me`. */
function allowed(page, me) {
  if (page.access === "public") return true;
  if (!me.authenticated) return false;
  return typeof page.access === "function" ? Boolean(page.access(me)) : true;
}

export function href(route, query = "") {
  return base + (route === "/" ? "/" : route) + (query ? `?${query}` : "");
}

export async function navigate(route, { replace = false, query = "" } = {}) {
  const target = href(route, query);
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  await render();
}

export async function refreshMe() {
  try {
    state.me = await api.me();
  } catch (e) {
    state.me = { authenticated: false };
  }
  return state.me;
}

function drawNavigation(route) {
  const nav = document.getElementById("nav");
  const links = pages
    .filter((page) => page.nav && allowed(page, state.me))
    .map((page) =>
      h("li", {}, h("a", { href: href(page.path), "aria-current": page.path === route ? "page" : undefined }, t(page.title))),
    );
  nav.replaceChildren(links.length ? h("ul", {}, links) : "");

  const account = document.getElementById("account");
  const picker = h(
    "select",
    {
      id: "language",
      "aria-label": t("Language"),
      onchange: async (event) => {
        await chooseLanguage(event.target.value);
        await render();
        announce(t("Language changed."));
      },
    },
    Object.entries(languages).map(([code, name]) => h("option", { value: code, selected: code === language() }, name)),
  );
  const parts = [picker];
  if (state.me.authenticated) {
    parts.unshift(h("span", { class: "who", id: "who" }, state.me.username));
    parts.push(
      h(
        "button",
        {
          type: "button",
          id: "sign-out",
          onclick: async () => {
            try {
              await api.get("/logout");
            } finally {
              state.me = { authenticated: false };
              announce(t("You are signed out."));
              await navigate("/sign-in", { replace: true });
            }
          },
        },
        t("Sign out"),
      ),
    );
  }
  account.replaceChildren(...parts);
}

/** Draws the page of the current location. */
export async function render() {
  const ticket = ++state.rendering;
  if (typeof state.cleanup === "function") state.cleanup();
  state.cleanup = null;
  const route = routeOf(location.pathname);
  const page = pageFor(route);
  if (!allowed(page, state.me)) {
    if (!state.me.authenticated) {
      const next = encodeURIComponent(route + location.search);
      await navigate("/sign-in", { replace: true, query: `next=${next}` });
      return;
    }
  }
  drawNavigation(route);
  translateDocument();
  const main = document.getElementById("main");
  main.replaceChildren();
  main.setAttribute("aria-busy", "true");
  const context = {
    me: state.me,
    navigate,
    refreshMe,
    render,
    href,
    params: new URLSearchParams(location.search),
    pages: pages.filter((candidate) => candidate.nav && allowed(candidate, state.me)),
  };
  try {
    if (!allowed(page, state.me)) {
      main.append(h("h1", { tabindex: "-1", class: "page-heading" }, t("Not allowed")),
        h("p", {}, t("Your account may not open this page. Ask an administrator if you need it.")));
    } else {
      const cleanup = await page.render(main, context);
      if (ticket !== state.rendering) {
        if (typeof cleanup === "function") cleanup();
        return;
      }
      state.cleanup = cleanup;
    }
  } catch (e) {
    if (ticket !== state.rendering) return; // another page replaced this one meanwhile
    main.append(h("p", { class: "notice error", role: "alert" }, e.message || String(e)));
  } finally {
    main.removeAttribute("aria-busy");
  }
  document.title = `${t(page.title)} · comfygate`;
  const heading = main.querySelector(".page-heading");
  if (heading) heading.focus();
}

function interceptLinks() {
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === base || url.pathname.startsWith(base + "/"))) return;
    event.preventDefault();
    history.pushState(null, "", url.pathname + url.search);
    render();
  });
  window.addEventListener("popstate", () => render());
}

/** A 401 while signed in means the session ended (expired, revoked elsewhere): sign in again. */
function watchSession() {
  let checking = false;
  window.addEventListener("console:unauthorized", async () => {
    if (!state.me.authenticated || checking) return;
    checking = true;
    try {
      if ((await refreshMe()).authenticated) return;
      announce(t("Your session has ended. Sign in again."), { error: true });
      const route = routeOf(location.pathname);
      await navigate("/sign-in", { replace: true, query: `next=${encodeURIComponent(route + location.search)}` });
    } finally {
      checking = false;
    }
  });
}

async function start() {
  await startLanguage();
  await refreshMe();
  interceptLinks();
  watchSession();
  await render();
  document.body.dataset.ready = "true";
}

start();
