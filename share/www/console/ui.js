// Building blocks of the console's pages: elements made without innerHTML (server text is
// always text), forms whose errors sit next to their field (aria-describedby, aria-invalid),
// a confirmation dialog before anything destructive, and the live regions that announce what
// happened to screen readers.
import { t } from "./i18n.js";

/** An element: h("button", {type: "button", onclick: f}, "Text", child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let uniqueCounter = 0;
const unique = (prefix) => `${prefix}-${++uniqueCounter}`;

/** Tells screen readers what happened (polite), or an error (assertive). */
export function announce(message, { error = false } = {}) {
  const region = document.getElementById(error ? "alert" : "status");
  if (!region) return;
  region.textContent = "";
  // A changed text is what gets announced; clearing first repeats an identical message.
  setTimeout(() => (region.textContent = message), 30);
}

/** A notice shown at the top of a page section (and announced). */
export function notice(message, kind = "info") {
  const box = h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  return box;
}

/**
 * A form. `fields`: [{name, label, type, required, autocomplete, hint, value, options:[[value,label]],
 * inputmode, min, max, pattern, maxlength}]. `onSubmit(values, api)` may throw; an error with a
 * `field` property (a FieldError, or an ApiError whose answer named a field) goes next to that
 * field, any other error under the form. While it runs the
 * submit button is disabled and the form is aria-busy.
 */
export function form({ id, fields, submitLabel, onSubmit, className = "" }) {
  const formId = id || unique("form");
  const errorsByName = {};
  const inputs = {};
  const formError = h("p", { class: "form-error", id: `${formId}-error`, role: "alert", hidden: true });
  const element = h("form", { id: formId, class: `stack ${className}`, novalidate: true });

  for (const field of fields) {
    const inputId = `${formId}-${field.name}`;
    const hintId = field.hint ? `${inputId}-hint` : null;
    const errorId = `${inputId}-error`;
    const common = {
      id: inputId,
      name: field.name,
      required: field.required || undefined,
      autocomplete: field.autocomplete || "off",
      "aria-describedby": [hintId, errorId].filter(Boolean).join(" "),
    };
    let input;
    if (field.type === "select") {
      // The default is the `selected` attribute, so a reset returns to it.
      input = h("select", common, (field.options || []).map(([value, label]) =>
        h("option", { value, selected: field.value !== undefined && String(field.value) === value ? "" : undefined }, label)));
    } else if (field.type === "textarea") {
      input = h("textarea", { ...common, rows: field.rows || 4 }, field.value || "");
    } else {
      input = h("input", {
        ...common,
        type: field.type || "text",
        inputmode: field.inputmode,
        min: field.min,
        max: field.max,
        maxlength: field.maxlength,
        pattern: field.pattern,
        placeholder: field.placeholder,
        value: field.value !== undefined ? String(field.value) : undefined,
        spellcheck: "false",
      });
    }
    const error = h("p", { class: "field-error", id: errorId, hidden: true });
    errorsByName[field.name] = error;
    inputs[field.name] = input;
    element.append(
      h(
        "div",
        { class: "field" },
        h("label", { for: inputId }, field.label, field.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
        input,
        hintId ? h("p", { class: "hint", id: hintId }, field.hint) : null,
        error,
      ),
    );
  }

  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  element.append(formError, h("div", { class: "actions" }, submit));

  const api = {
    element,
    inputs,
    values() {
      const values = {};
      for (const [name, input] of Object.entries(inputs)) values[name] = input.value;
      return values;
    },
    setError(name, message) {
      const input = inputs[name];
      const error = errorsByName[name];
      if (!input || !error) return api.setFormError(message);
      error.textContent = message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    },
    setFormError(message) {
      formError.textContent = message;
      formError.hidden = false;
    },
    clearErrors() {
      for (const [name, error] of Object.entries(errorsByName)) {
        error.hidden = true;
        error.textContent = "";
        inputs[name].removeAttribute("aria-invalid");
      }
      formError.hidden = true;
      formError.textContent = "";
    },
    reset() {
      element.reset();
      api.clearErrors();
    },
  };

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    api.clearErrors();
    for (const field of fields) {
      if (field.required && !inputs[field.name].value.trim()) {
        api.setError(field.name, t("{label} is required.", { label: field.label }));
        return;
      }
    }
    submit.disabled = true;
    element.setAttribute("aria-busy", "true");
    try {
      await onSubmit(api.values(), api);
    } catch (e) {
      // A server error that names a field of this form ({"error", "field"}) goes next to it too.
      const field = e && (e.field || (e.body && typeof e.body.field === "string" ? e.body.field : ""));
      if (field && inputs[field]) api.setError(field, e.message);
      else api.setFormError(e && e.message ? e.message : String(e));
    } finally {
      submit.disabled = false;
      element.removeAttribute("aria-busy");
    }
  });
  return api;
}

/** An error that belongs next to one field of a form. */
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/**
 * Asks before something destructive. Resolves true only when the person confirms; Escape and
 * Cancel resolve false. Focus starts on Cancel and returns to where it was.
 */
export function confirmAction(message, confirmLabel) {
  const dialog = document.getElementById("confirm");
  if (dialog.open) return Promise.resolve(false); // one question at a time
  const opener = document.activeElement;
  document.getElementById("confirm-text").textContent = message;
  document.getElementById("confirm-ok").textContent = confirmLabel || t("Confirm");
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        resolve(dialog.returnValue === "confirm");
        if (opener && typeof opener.focus === "function" && opener.isConnected) opener.focus();
      },
      { once: true },
    );
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

/** A button that copies `text` and says so. */
export function copyButton(text, label = t("Copy")) {
  const button = h("button", {
    type: "button",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        announce(t("Copied to the clipboard."));
        button.textContent = t("Copied");
      } catch (e) {
        announce(t("Copying failed: select the text and copy it yourself."), { error: true });
      }
    },
  }, label);
  return button;
}

/** A page's heading, focused after navigation so screen readers start there. */
export function pageHeading(text) {
  return h("h1", { tabindex: "-1", class: "page-heading" }, text);
}

/** A table with a caption and header cells; `rows` are arrays of cells (text or elements). */
export function table(caption, headers, rows, { empty = t("Nothing here yet.") } = {}) {
  if (!rows.length) return h("p", { class: "muted empty" }, empty);
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
    ),
  );
}

/** A date and time in the console's language; "" for nothing. */
export function formatTime(value) {
  if (value === undefined || value === null || value === "" || value === 0) return "";
  const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Bytes as a person reads them: 1.5 MB. */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Seconds as a person reads them: 1 h 5 min, 42 s. */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
