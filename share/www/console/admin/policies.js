// The Lua policies: the files in the policy directory with their text, the last reload and
// its errors at file:line (a click opens the file at that line), a reload button, and a
// "try it" form that runs one hook of the running policies on a sample subject and request
// (POST .../policies/dry-run: nothing is written, notifications and counters are simulated).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { FieldError, announce, form, formatBytes, formatTime, h, notice, pageHeading } from "../ui.js";
import { holds } from "./access.js";

const pretty = (value) => JSON.stringify(value, null, 2);

/**
 * The editor of one file (for holders of can_edit_policies): saving writes the file and
 * reloads; a text that does not compile is refused with its file:line next to the editor.
 */
function editor(name, text, { onSaved, onCancel }) {
  const edit = form({
    id: "policy-edit",
    fields: [{ name: "source", label: t("Text of {file}", { file: name }), type: "textarea", rows: 18, value: text }],
    submitLabel: t("Save and reload"),
    async onSubmit(values) {
      try {
        await api.put(`/mss-login/api/admin/policies/source?file=${encodeURIComponent(name)}`, { source: values.source });
      } catch (e) {
        const problems = (e.body && e.body.problems) || [];
        const where = problems.map((p) => `${p.file ? `${p.file}${p.line ? `:${p.line}` : ""} ` : ""}${p.message}`).join("; ");
        throw new FieldError("source", where ? `${e.message}: ${where}` : e.message);
      }
      announce(t("{file} is saved and the policies are reloaded.", { file: name }));
      await onSaved();
    },
  });
  edit.inputs.source.classList.add("code-editor");
  edit.element.querySelector(".actions").append(h("button", { type: "button", onclick: onCancel }, t("Cancel")));
  return h("section", { class: "card", "aria-labelledby": "policy-file-title" }, h("h3", { id: "policy-file-title" }, name), edit.element);
}

/** A file's text as a numbered list of lines; `line` is marked and scrolled to. */
function sourceView(name, text, active, line, onEdit) {
  // The empty line after a final newline stays: Lua reports an unfinished chunk there.
  const lines = text.split("\n");
  const list = h(
    "ol",
    { class: "source", id: "policy-source", "aria-label": t("Text of {file}", { file: name }) },
    lines.map((content, index) =>
      h("li", { class: index + 1 === line ? "error-line" : "", "aria-current": index + 1 === line ? "true" : undefined, dataset: { line: index + 1 } }, h("code", {}, content || " ")),
    ),
  );
  const view = h(
    "section",
    { class: "card", "aria-labelledby": "policy-file-title" },
    h("h3", { id: "policy-file-title" }, name, active ? "" : h("span", { class: "badge" }, t("changed on disk, not running yet: reload"))),
    h("div", { class: "source-scroll", tabindex: "0" }, list),
    onEdit ? h("div", { class: "actions" }, h("button", { type: "button", id: "policy-edit-open", onclick: onEdit }, t("Edit"))) : "",
  );
  if (line) requestAnimationFrame(() => list.querySelector(".error-line")?.scrollIntoView({ block: "center" }));
  return view;
}

function problemList(problems, open) {
  return h(
    "ul",
    { class: "problems", id: "policy-problems" },
    problems.map((problem) =>
      h(
        "li",
        {},
        problem.file
          ? h("button", { type: "button", class: "link", onclick: () => open(problem.file, problem.line) },
              problem.line ? `${problem.file}:${problem.line}` : problem.file)
          : null,
        " ",
        problem.message,
      ),
    ),
  );
}

function tryIt(hooks) {
  const verdict = h("div", { id: "dry-run-verdict", "aria-live": "polite" });
  const byName = Object.fromEntries(hooks.map((hook) => [hook.name, hook]));
  const first = hooks[0] || { name: "", subject_example: {}, request_example: {} };
  const tryForm = form({
    id: "dry-run",
    fields: [
      { name: "hook", label: t("Hook"), type: "select", value: first.name, options: hooks.map((hook) => [hook.name, `${hook.name} — ${hook.description}`]) },
      { name: "subject", label: t("Subject (JSON)"), type: "textarea", rows: 6, value: pretty(first.subject_example), hint: t("Who is asking: user_id, username, role, groups, ...") },
      { name: "request", label: t("Request (JSON)"), type: "textarea", rows: 6, value: pretty(first.request_example), hint: t("What the hook decides about.") },
    ],
    submitLabel: t("Try it"),
    async onSubmit(values) {
      const parsed = {};
      for (const name of ["subject", "request"]) {
        try {
          parsed[name] = JSON.parse(values[name]);
        } catch (e) {
          throw new FieldError(name, t("This is not valid JSON: {problem}", { problem: e.message }));
        }
      }
      let answer;
      try {
        answer = await api.post("/mss-login/api/admin/policies/dry-run", { hook: values.hook, ...parsed });
      } catch (e) {
        throw new FieldError(/subject/.test(e.message) ? "subject" : /request/.test(e.message) ? "request" : "hook", e.message);
      }
      const facts = [
        [t("Decision"), h("strong", { class: `decision decision-${answer.decision}` }, answer.decision)],
        [t("Reason"), answer.reason || "—"],
        [t("Policy error"), answer.failed ? `${answer.error} (${t("fail mode")}: ${answer.fail_mode})` : t("none")],
        [t("Time"), `${answer.duration_ms.toFixed(2)} ms`],
      ];
      verdict.replaceChildren(
        h("h3", {}, t("Verdict")),
        h("dl", { class: "facts" }, facts.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
        answer.request !== undefined ? h("div", {}, h("h4", {}, t("Rewritten request")), h("pre", { class: "codes" }, pretty(answer.request))) : "",
        (answer.notifications || []).length ? h("div", {}, h("h4", {}, t("Notifications it would send")), h("pre", { class: "codes" }, pretty(answer.notifications))) : "",
      );
      announce(t("Verdict: {decision}", { decision: answer.decision }));
    },
  });
  // Picking another hook fills in its examples.
  tryForm.inputs.hook.addEventListener("change", () => {
    const hook = byName[tryForm.inputs.hook.value];
    tryForm.inputs.subject.value = pretty(hook.subject_example);
    tryForm.inputs.request.value = pretty(hook.request_example);
  });
  return h("div", { class: "card" }, tryForm.element, verdict);
}

export default {
  path: "/admin/policies",
  title: "Policies",
  nav: true,
  access: holds("can_reload_policies"),
  async render(main, { params, me }) {
    const mayEdit = holds("can_edit_policies")(me);
    const status = h("div", { id: "policy-status" });
    const files = h("div", { id: "policy-files" });
    const viewer = h("div", { id: "policy-viewer" });
    let overview;

    const open = async (name, line) => {
      const file = await api.get(`/mss-login/api/admin/policies/source?file=${encodeURIComponent(name)}`);
      const startEditing = () =>
        viewer.replaceChildren(editor(file.file, file.source, {
          onSaved: async () => {
            await load(notice(t("{file} is saved and the policies are reloaded.", { file: file.file }), "ok"));
            await open(file.file);
          },
          onCancel: () => open(file.file),
        }));
      viewer.replaceChildren(sourceView(file.file, file.source, file.active, line, mayEdit ? startEditing : null));
      for (const button of files.querySelectorAll("button[data-file]")) button.setAttribute("aria-pressed", String(button.dataset.file === name));
    };

    const load = async (message) => {
      overview = await api.get("/mss-login/api/admin/policies");
      const last = overview.last_reload;
      status.replaceChildren(
        message || "",
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, t("Directory")), h("dd", {}, h("code", {}, overview.directory)),
          h("dt", {}, t("Running generation")), h("dd", {}, String(overview.generation)),
          h("dt", {}, t("Last reload")), h("dd", { id: "policy-last-reload" }, last.at ? formatTime(last.at) : "—", " · ",
            last.ok ? h("span", { class: "status-done" }, t("compiled")) : h("span", { class: "status-error" }, t("failed: the previous policies stay in force"))),
        ),
        last.problems.length ? h("div", {}, h("h3", {}, t("Errors")), problemList(last.problems, open)) : "",
      );
      files.replaceChildren(
        h(
          "ul",
          { class: "file-list" },
          overview.files.map((file) =>
            h("li", {}, h("button", { type: "button", class: "link", dataset: { file: file.name }, "aria-pressed": "false", onclick: () => open(file.name) }, file.name),
              " ", h("span", { class: "muted" }, `${formatBytes(file.size)} · ${formatTime(file.modified)}`)),
          ),
        ),
      );
    };

    const reload = h("button", {
      type: "button",
      class: "primary",
      id: "policy-reload",
      onclick: async () => {
        reload.disabled = true;
        let message;
        try {
          await api.post("/mss-login/api/admin/policies/reload", {});
          message = notice(t("The policies are reloaded."), "ok");
          announce(t("The policies are reloaded."));
        } catch (e) {
          message = notice(e.message, "error");
          announce(e.message, { error: true });
        } finally {
          reload.disabled = false;
        }
        await load(message);
        const problem = overview.last_reload.problems.find((p) => p.file);
        if (problem) await open(problem.file, problem.line);
      },
    }, t("Reload the policies"));

    await load();
    main.append(
      pageHeading(t("Policies")),
      h("p", { class: "muted" }, t("Edit the files on the server, then reload. A file with an error keeps the previous policies in force.")),
      h("section", { class: "card", "aria-labelledby": "policy-status-title" }, h("h2", { id: "policy-status-title" }, t("Status")), status, h("div", { class: "actions" }, reload)),
      h("div", { class: "policy-layout" },
        h("section", { "aria-labelledby": "policy-files-title" }, h("h2", { id: "policy-files-title" }, t("Files")), files),
        viewer),
      h("h2", {}, t("Try it")),
      h("p", { class: "muted" }, t("Runs one hook of the running policies on a sample. Nothing is written: counters are read, notifications only listed.")),
      tryIt(overview.hooks),
    );
    const file = params.get("file");
    if (file) await open(file, Number(params.get("line")) || undefined);
  },
};
