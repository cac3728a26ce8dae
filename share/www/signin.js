// The sign-in page: password, then the second factor when the account has one (or must enrol),
// then back to the page the browser asked for (data-next, already checked by the server).
"use strict";

const page = document.getElementById("signin");
const errorLine = document.getElementById("error");
let tempToken = "";

function show(formId) {
  for (const form of document.querySelectorAll("form")) form.hidden = form.id !== formId;
  const first = document.querySelector("#" + formId + " input:not([type=hidden])");
  if (first) first.focus();
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch (e) {
    answer = {};
  }
  if (!response.ok) {
    let message = answer.error || answer.message || "The server answered " + response.status;
    if (answer.remaining_seconds) message += " (try again in " + answer.remaining_seconds + " s)";
    throw new Error(message);
  }
  return answer;
}

// ComfyUI's front end shows its own user-selection screen when /api/users lists users and
// localStorage has no Comfy.userId. The gateway answers /api/users with only the signed-in user,
// so that user is selected here; anything else clears a stale choice (another account's).
async function rememberComfyUser() {
  try {
    const response = await fetch("/api/users", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const answer = response.ok ? await response.json() : {};
    const ids = answer && answer.users && typeof answer.users === "object" ? Object.keys(answer.users) : [];
    if (ids.length === 1) {
      localStorage["Comfy.userId"] = ids[0];
      localStorage["Comfy.userName"] = String(answer.users[ids[0]]);
      return;
    }
  } catch (e) {
    // No ComfyUI user list (e.g. without comfy-proxy): forget any earlier choice below.
  }
  try {
    localStorage.removeItem("Comfy.userId");
    localStorage.removeItem("Comfy.userName");
  } catch (e) {
    // storage disabled: nothing to forget
  }
}

async function signedIn() {
  await rememberComfyUser();
  window.location.replace(page.dataset.next || "/");
}

async function startEnrolment() {
  const setup = await post("/mss-login/api/mfa/setup", { mfa_temp_token: tempToken });
  document.getElementById("mfa-uri").textContent = setup.provisioning_uri;
  document.getElementById("mfa-secret").textContent = setup.secret;
  document.getElementById("mfa-backup-codes").textContent = (setup.backup_codes || []).join("\n");
  show("mfa-setup-form");
}

function onSubmit(formId, action) {
  document.getElementById(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    errorLine.textContent = "";
    try {
      await action();
    } catch (e) {
      errorLine.textContent = e.message;
    }
  });
}

onSubmit("password-form", async () => {
  const answer = await post("/login", {
    username: document.getElementById("username").value,
    password: document.getElementById("password").value,
  });
  tempToken = answer.mfa_temp_token || "";
  if (answer.mfa_required) show("mfa-form");
  else if (answer.mfa_setup_required) await startEnrolment();
  else await signedIn();
});

onSubmit("mfa-form", async () => {
  const code = document.getElementById("mfa-code").value.trim();
  const factor = /^\d{6}$/.test(code) ? { code } : { backup_code: code };
  await post("/mss-login/api/mfa/verify", Object.assign({ mfa_temp_token: tempToken }, factor));
  await signedIn();
});

onSubmit("mfa-setup-form", async () => {
  await post("/mss-login/api/mfa/verify-setup", {
    mfa_temp_token: tempToken,
    code: document.getElementById("mfa-setup-code").value.trim(),
  });
  await signedIn();
});
