// The console's language. The browser's preferred languages (navigator.languages, the list it
// sends as Accept-Language) are matched against the shipped ones; a choice made in the
// console's language menu is kept in localStorage and wins. Texts are looked up by their
// English wording, as in share/lang/*.json ({code, name, local_name, keys}); a text a language
// does not translate stays English.

/** The shipped languages: code → its own name. */
export const languages = { en: "English", de: "Deutsch" };

/** One file per area, so the user pages and the admin pages each keep their own texts. */
const catalogs = ["console", "admin"];
const storageKey = "comfygate.console.language";

let current = "en";
let keys = {};

/** The best shipped language for a list of language tags ("de-CH" matches "de"). */
export function pickLanguage(preferred) {
  for (const tag of preferred || []) {
    const lower = String(tag).toLowerCase();
    if (languages[lower]) return lower;
    const base = lower.split("-")[0];
    if (languages[base]) return base;
  }
  return "en";
}

function storedChoice() {
  try {
    const choice = localStorage.getItem(storageKey);
    return choice && languages[choice] ? choice : "";
  } catch (e) {
    return "";
  }
}

export function language() {
  return current;
}

async function loadCatalog(catalog, code) {
  const response = await fetch(`/console/lang/${catalog}.${code}.json`, { credentials: "same-origin" });
  if (!response.ok) return {};
  const file = await response.json();
  return file && typeof file.keys === "object" ? file.keys : {};
}

/** Loads the language to use (the stored choice, else the browser's) and marks the document. */
export async function startLanguage() {
  const code = storedChoice() || pickLanguage(navigator.languages || [navigator.language]);
  keys = {};
  if (code !== "en") {
    const parts = await Promise.all(catalogs.map((catalog) => loadCatalog(catalog, code).catch(() => ({}))));
    for (const part of parts) Object.assign(keys, part);
  }
  current = code;
  document.documentElement.lang = code;
  return code;
}

/** Remembers the person's choice; the caller re-renders. */
export async function chooseLanguage(code) {
  try {
    localStorage.setItem(storageKey, code);
  } catch (e) {
    // storage disabled: the choice lasts until the page is reloaded
  }
  return startLanguage();
}

/** The text in the current language, with {name} placeholders filled from `values`. */
export function t(text, values = {}) {
  const translated = keys[text] || text;
  return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Translates the static texts of the page (elements with data-i18n hold their English text). */
export function translateDocument(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    if (!element.dataset.i18nSource) element.dataset.i18nSource = element.textContent;
    element.textContent = t(element.dataset.i18nSource);
  }
}
