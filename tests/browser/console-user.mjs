// The web console's every-user pages in Debian's chromium driven by playwright-core
// (tests/integration/console/ConsoleUserBrowserTest.cpp runs it). Environment:
//   GATEWAY_URL       http://127.0.0.1:<port> of the gateway
//   USER_NAME         an ordinary user (role user)
//   MFA_USER          a user who must enrol in MFA at sign-in (an admin with experimental.mfa)
//   PASSWORD          the password of both
//   PLAYWRIGHT_DIR    where `scripts/dev deps` installed playwright-core (build/playwright-core)
//   CHROMIUM          the browser executable (default /usr/bin/chromium)
//   SCREENSHOT_DIR    where each page's screenshot goes (console-<page>.png)
//   SCENARIO          "shell" (sign-in, overview, language, sign-out) or "user" (every page)
//   CIVITAI_URL       (user) a CivitAI model page address with the version the fake serves
//   CIVITAI_SLOW_VERSION (user) a version id the fake serves slowly (to be cancelled)
//   CIVITAI_GENERATION_ONLY_VERSION (user) a version whose download CivitAI refuses
//   HF_REPO, HF_FILE  (user) a repository and a file in it that the fake Hugging Face serves
// Exits 0 after printing "console-user: all steps passed", else 1 with the failed step.
import { env, expect, progress, runInChromium, totp } from "./harness.mjs";

const base = env("GATEWAY_URL");
const password = env("PASSWORD");
const screenshots = env("SCREENSHOT_DIR");
const timeout = 20000;

/// Waits out the last seconds of a TOTP time step, so a code computed now is still of the step
/// the server sees when it checks it (enrolment accepts the previous step only while it is one).
async function awayFromStepEdge() {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 3) await new Promise((resolve) => setTimeout(resolve, (left + 0.5) * 1000));
}

/// A new context whose pages fail the run on any CSP violation or uncaught script error.
async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
  const page = await context.newPage();
  progress.lastPage = page;
  page.problems = [];
  // A refused API call (401 for a visitor, 400 for a wrong code) is logged by chromium too.
  page.expectedErrors = [/Failed to load resource: the server responded with a status of (400|401|403|404)/];
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !page.expectedErrors.some((pattern) => pattern.test(text))) page.problems.push(text);
  });
  page.on("pageerror", (error) => page.problems.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith("data:"))
      page.problems.push(`request to another origin: ${request.url()}`);
  });
  return page;
}

function noProblems(page) {
  expect(page.problems.length === 0, `the page reported: ${page.problems.join(" | ")}`);
}

/// Every form control on the page has a label and every button a name (screen readers).
async function labelled(page) {
  const unnamed = await page.evaluate(() => {
    const visible = (element) => element.offsetParent !== null || element.closest("dialog[open]");
    const missing = [];
    for (const control of document.querySelectorAll("input, select, textarea")) {
      if (visible(control) && control.labels.length === 0 && !control.getAttribute("aria-label")) missing.push(control.outerHTML);
    }
    for (const button of document.querySelectorAll("button, a[href]")) {
      if (visible(button) && !button.textContent.trim() && !button.getAttribute("aria-label")) missing.push(button.outerHTML);
    }
    return missing;
  });
  expect(unnamed.length === 0, `controls without a label or name: ${unnamed.join(" ")}`);
}

async function shot(page, name) {
  await labelled(page);
  await page.screenshot({ path: `${screenshots}/console-${name}.png`, fullPage: true });
}

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "true" && !document.getElementById("main").hasAttribute("aria-busy"), null, { timeout });
}

async function heading(page) {
  return (await page.textContent("main h1")).trim();
}

async function signIn(page, user) {
  await page.fill("#sign-in-form-username", user);
  await page.fill("#sign-in-form-password", password);
  await page.click("#sign-in-form button[type=submit]");
}

/// The shell: a visitor is sent to sign in, a wrong password shows its error next to the field,
/// the overview after signing in, the language from the browser, signing out.
async function shell(browser) {
  progress.step = "a visitor asking for a page is sent to sign in";
  const page = await newPage(browser, { locale: "en-US" });
  await page.goto(`${base}/console/`);
  await page.waitForURL(/\/console\/sign-in\?next=%2F$/, { timeout });
  await ready(page);
  expect((await heading(page)) === "Sign in", `heading: ${await heading(page)}`);
  expect(await page.evaluate(() => document.activeElement.id === "sign-in-form-username" || document.activeElement.tagName === "H1"),
    "focus is not on the sign-in form");
  await shot(page, "sign-in");

  progress.step = "a wrong password is reported next to the password field";
  await page.fill("#sign-in-form-username", env("USER_NAME"));
  await page.fill("#sign-in-form-password", "not-the-password");
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#sign-in-form-password-error:not([hidden])", { timeout });
  expect((await page.getAttribute("#sign-in-form-password", "aria-invalid")) === "true", "the field is not marked invalid");
  const describedBy = await page.getAttribute("#sign-in-form-password", "aria-describedby");
  expect(describedBy.split(" ").includes("sign-in-form-password-error"), `aria-describedby: ${describedBy}`);

  progress.step = "signing in returns to the page asked for";
  await signIn(page, env("USER_NAME"));
  await page.waitForURL(`${base}/console/`, { timeout });
  await ready(page);
  expect((await heading(page)) === "Overview", `heading: ${await heading(page)}`);
  expect((await page.textContent("#who")) === env("USER_NAME"), "the header does not name the user");
  expect((await page.textContent("#me")).includes("user"), "the overview does not show the role");
  await shot(page, "overview");

  progress.step = "the phone width still shows the navigation and the page";
  await page.setViewportSize({ width: 380, height: 800 });
  await shot(page, "overview-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await page.setViewportSize({ width: 1100, height: 800 });

  progress.step = "a session ended elsewhere sends the page to sign in on its next call";
  const other = await newPage(browser);
  await other.goto(`${base}/console/sign-in`);
  await ready(other);
  await signIn(other, env("USER_NAME"));
  await overview(other);
  const ended = await other.evaluate(async () => {
    const { sessions } = await (await fetch("/mss-login/me/sessions")).json();
    const victim = sessions.find((session) => !session.is_current);
    const answer = await fetch("/mss-login/me/sessions/revoke", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ jti: victim.jti }) });
    return answer.status;
  });
  expect(ended === 200, `revoking the first session answered ${ended}`);
  await page.click('#nav a[href="/console/tokens"]');
  await page.waitForURL(/\/console\/sign-in\?next=%2Ftokens$/, { timeout });
  await ready(page);
  await signIn(page, env("USER_NAME"));
  await page.waitForURL(`${base}/console/tokens`, { timeout });
  await ready(page);
  expect((await heading(page)) === "API tokens", `heading: ${await heading(page)}`);
  expect((await page.textContent("main")).includes("may not create API tokens"), "an ordinary user is offered to create tokens");
  await other.context().close();

  progress.step = "the dark theme follows the system setting";
  const dark = await newPage(browser, { colorScheme: "dark" });
  await dark.goto(`${base}/console/sign-in`);
  await ready(dark);
  await signIn(dark, env("USER_NAME"));
  await overview(dark);
  const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  expect(r + g + b < 150, `the dark theme's background is ${background}`);
  await shot(dark, "overview-dark");
  noProblems(dark);
  await dark.context().close();

  progress.step = "an unknown page says so";
  await page.goto(`${base}/console/no-such-page`);
  await ready(page);
  expect((await heading(page)) === "Page not found", `heading: ${await heading(page)}`);

  progress.step = "signing out ends the session";
  await page.goto(`${base}/console/`);
  await ready(page);
  await page.click("#sign-out");
  await page.waitForURL(/\/console\/sign-in/, { timeout });
  const me = await page.evaluate(async () => (await fetch("/mss-login/api/me")).json());
  expect(me.authenticated === false, "still signed in after signing out");
  noProblems(page);

  progress.step = "a German browser gets the German console";
  const german = await newPage(browser, { locale: "de-DE" });
  await german.goto(`${base}/console/`);
  await german.waitForURL(/\/console\/sign-in/, { timeout });
  await ready(german);
  expect((await heading(german)) === "Anmelden", `German heading: ${await heading(german)}`);
  expect((await german.getAttribute("html", "lang")) === "de", "the document language is not de");
  await shot(german, "sign-in-de");
  noProblems(german);
}

/// Confirms (or cancels) the console's confirmation dialog, which must be open.
async function answerDialog(page, confirm) {
  await page.waitForSelector("#confirm[open]", { timeout });
  await page.click(confirm ? "#confirm-ok" : "#confirm-cancel");
  await page.waitForSelector("#confirm:not([open])", { state: "attached", timeout });
}

async function signOut(page) {
  await page.click("#sign-out");
  await page.waitForURL(/\/console\/sign-in/, { timeout });
  await ready(page);
}

async function overview(page) {
  await page.waitForURL(`${base}/console/`, { timeout });
  await ready(page);
  expect((await heading(page)) === "Overview", `heading: ${await heading(page)}`);
}

/// An API call made by a program with a bearer token (not the browser's cookie).
async function withToken(token, path) {
  const response = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

/// An API call with a browser's session cookie, from outside that browser.
async function withCookie(session, path) {
  const response = await fetch(base + path, { headers: { Cookie: `jwt_token=${session}` } });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

async function mfaSignIns(browser) {
  const user = env("MFA_USER");
  progress.step = "an account that must use MFA enrols at sign-in: QR code, secret, backup codes";
  const page = await newPage(browser);
  await page.goto(`${base}/console/`);
  await page.waitForURL(/\/console\/sign-in/, { timeout });
  await ready(page);
  await signIn(page, user);
  await page.waitForSelector("#mfa-enrolment", { timeout });
  const qrWidth = await page.$eval("#mfa-qr", (img) => img.complete && img.naturalWidth);
  expect(qrWidth > 0, "the QR code image did not load");
  const secret = (await page.textContent("#mfa-secret")).trim();
  expect(/^[A-Z2-7]{16,}=*$/.test(secret), `the secret is not base32: ${secret}`);
  const codes = (await page.textContent("#mfa-backup-codes")).trim().split("\n");
  expect(codes.length === 10, `expected 10 backup codes, got ${codes.length}`);
  await shot(page, "mfa-enrolment");

  progress.step = "a wrong first code is refused next to its field";
  await page.fill("#mfa-enrol-form-code", "000000" === totp(secret, Date.now() / 1000) ? "111111" : "000000");
  await page.click("#mfa-enrol-form button[type=submit]");
  await page.waitForSelector("#mfa-enrol-form-code-error:not([hidden])", { timeout });

  progress.step = "the code of the previous time step (allowed drift) turns MFA on and signs in";
  // The previous step here, the current one at the next sign-in: each step is usable once.
  await awayFromStepEdge();
  await page.fill("#mfa-enrol-form-code", totp(secret, Date.now() / 1000 - 30));
  await page.click("#mfa-enrol-form button[type=submit]");
  await overview(page);
  expect((await page.textContent("#me")).includes("on"), "the overview does not say MFA is on");

  progress.step = "signing in again asks for the code";
  await signOut(page);
  await signIn(page, user);
  await page.waitForSelector("#mfa-form", { timeout });
  await shot(page, "sign-in-mfa");
  await page.fill("#mfa-form-code", totp(secret, Date.now() / 1000));
  await page.click("#mfa-form button[type=submit]");
  await overview(page);

  progress.step = "a backup code signs in once";
  await signOut(page);
  await signIn(page, user);
  await page.waitForSelector("#mfa-form", { timeout });
  await page.click("#use-backup-code");
  await page.fill("#mfa-form-code", codes[0]);
  await page.click("#mfa-form button[type=submit]");
  await overview(page);
  await signOut(page);
  await signIn(page, user);
  await page.waitForSelector("#mfa-form", { timeout });
  await page.click("#use-backup-code");
  await page.fill("#mfa-form-code", codes[0]);
  await page.click("#mfa-form button[type=submit]");
  await page.waitForSelector("#mfa-form-code-error:not([hidden])", { timeout });
  await page.fill("#mfa-form-code", codes[1]);
  await page.click("#mfa-form button[type=submit]");
  await overview(page);
  noProblems(page);
  return { page, secret };
}

async function tokens(page) {
  progress.step = "tokens: create one with a label and a lifetime; it is shown once";
  await page.click('#nav a[href="/console/tokens"]');
  await page.waitForURL(`${base}/console/tokens`, { timeout });
  await ready(page);
  expect(await page.evaluate(() => document.activeElement.matches("main h1")), "focus is not on the page heading");
  await page.fill("#token-form-label", "ci-script");
  await page.selectOption("#token-form-expire_hours", "168");
  await page.click("#token-form button[type=submit]");
  await page.waitForSelector("#new-token", { timeout });
  const token = (await page.textContent("#new-token")).trim();
  expect(token.startsWith("cgt_"), `not an API token: ${token}`);
  const row = page.locator("#token-list tr", { hasText: "ci-script" });
  await row.waitFor({ timeout });
  await shot(page, "tokens");

  progress.step = "tokens: the token works for a program";
  const used = await withToken(token, "/mss-login/api/me");
  expect(used.status === 200 && used.body.username === env("MFA_USER"), `the token did not work: ${used.status}`);

  progress.step = "tokens: a reload no longer shows the token, the list shows its last use";
  await page.reload();
  await ready(page);
  expect((await page.locator("#new-token").count()) === 0, "the token is shown again");
  expect(!(await page.textContent("main")).includes(token), "the token is on the page again");
  const lastUsed = await page.locator("#token-list tr", { hasText: "ci-script" }).locator("td").nth(3).textContent();
  expect(lastUsed !== "not yet" && lastUsed.trim() !== "", `last used: ${lastUsed}`);

  progress.step = "tokens: revoking asks first; cancel keeps it";
  await page.locator("#token-list tr", { hasText: "ci-script" }).locator("button").click();
  await page.waitForSelector("#confirm[open]", { timeout });
  await shot(page, "confirm");
  await answerDialog(page, false);
  expect((await withToken(token, "/mss-login/api/me")).status === 200, "cancel revoked the token");
  expect((await page.locator("#token-list tr", { hasText: "ci-script" }).count()) === 1, "the token left the list");

  progress.step = "tokens: revoking after confirming ends it at once";
  await page.locator("#token-list tr", { hasText: "ci-script" }).locator("button").click();
  await answerDialog(page, true);
  await page.locator("#token-list tr", { hasText: "ci-script" }).waitFor({ state: "detached", timeout });
  const after = await withToken(token, "/mss-login/api/me");
  expect(after.status === 401 || after.body.authenticated === false, `the revoked token still works: ${after.status}`);
  noProblems(page);
}

async function keys(page) {
  progress.step = "keys: store the CivitAI key; the page never shows it";
  await page.goto(`${base}/console/keys`);
  await ready(page);
  expect((await page.textContent("#key-status-civitai")) === "No key stored.", "a key is stored before");
  await page.fill("#key-form-civitai-api_key", "tok-ok");
  await page.click("#key-form-civitai button[type=submit]");
  await page.waitForFunction(() => document.getElementById("key-status-civitai")?.textContent === "A key is stored.", null, { timeout });
  const shown = await page.evaluate(() => document.body.innerText + [...document.querySelectorAll("input")].map((i) => i.value).join(""));
  expect(!shown.includes("tok-ok"), "the key is on the page");
  expect((await page.textContent("#key-status-huggingface")) === "No key stored.", "Hugging Face has a key");
  await shot(page, "keys");
  noProblems(page);
}

async function downloads(page) {
  progress.step = "downloads: the page listens on /ws";
  const frames = [];
  page.on("websocket", (socket) => {
    socket.on("framereceived", (frame) => {
      try {
        const message = JSON.parse(frame.payload);
        if (message.type === "download_progress") frames.push(message.data);
      } catch (e) {
        // binary preview frames are not ours
      }
    });
  });
  await page.goto(`${base}/console/downloads`);
  await ready(page);
  await page.waitForFunction(() => document.getElementById("live-state")?.dataset.state === "live", null, { timeout });

  progress.step = "downloads: what a person pastes becomes the right order";
  const parsed = await page.evaluate(async () => {
    const { civitaiVersion, huggingFaceFile } = await import("/console/pages/downloads.js");
    const attempt = (f) => {
      try {
        return f();
      } catch (e) {
        return { field: e.field };
      }
    };
    const hosts = ["civitai.com", "civitai.green"];
    return [
      attempt(() => civitaiVersion(" 130072 ", hosts)),
      attempt(() => civitaiVersion("https://civitai.green/models/4201/juggernaut?modelVersionId=130072", hosts)),
      attempt(() => civitaiVersion("https://civitai.com/api/download/models/130072?type=Model", hosts)),
      attempt(() => civitaiVersion("https://evil.example/models/1?modelVersionId=2", hosts)),
      attempt(() => civitaiVersion("juggernaut", hosts)),
      attempt(() => huggingFaceFile("https://huggingface.co/org/flux/blob/v1.0/unet/flux%20unet.safetensors", "")),
      attempt(() => huggingFaceFile("org/flux", "config.json")),
      attempt(() => huggingFaceFile("not a repository", "x")),
      attempt(() => huggingFaceFile("org/flux", " ")),
    ];
  });
  const expected = [
    { model_version_id: "130072" },
    { civitai_host: "civitai.green", model_version_id: "130072" },
    { civitai_host: "civitai.com", model_version_id: "130072" },
    { field: "civitai" },
    { field: "civitai" },
    { repo_id: "org/flux", revision: "v1.0", filename: "unet/flux unet.safetensors" },
    { repo_id: "org/flux", filename: "config.json" },
    { field: "repo_id" },
    { field: "filename" },
  ];
  expect(JSON.stringify(parsed) === JSON.stringify(expected), `parsed ${JSON.stringify(parsed)}`);

  progress.step = "downloads: a model address without a version is refused next to the field";
  await page.fill("#civitai-form-civitai", "https://civitai.com/models/100");
  await page.click("#civitai-form button[type=submit]");
  await page.waitForSelector("#civitai-form-civitai-error:not([hidden])", { timeout });
  expect((await page.textContent("#civitai-form-civitai-error")).includes("modelVersionId"), "the error does not say what to copy");

  progress.step = "downloads: a CivitAI address starts a download whose bar reaches 100 % from /ws events";
  await page.fill("#civitai-form-civitai", env("CIVITAI_URL"));
  await page.click("#civitai-form button[type=submit]");
  const job = page.locator("#jobs li.job").first();
  await job.waitFor({ timeout });
  const jobId = await job.getAttribute("data-job");
  const seen = new Set();
  await page.waitForFunction(
    (id) => {
      const card = document.querySelector(`#jobs li[data-job="${id}"]`);
      return card && card.dataset.status === "completed" && card.querySelector("progress").value === 100;
    },
    jobId,
    { timeout: 60000, polling: 100 },
  );
  for (const frame of frames) if (frame.job_id === jobId) seen.add(frame.status);
  expect(seen.has("completed"), `no download_progress event said completed (saw ${[...seen].join(", ") || "none"})`);
  expect((await job.textContent()).includes("juggernaut_v9.safetensors"), "the card does not name the file");
  expect(!(await job.locator("button", { hasText: "Cancel" }).isVisible()), "a finished download offers Cancel");
  await shot(page, "downloads");

  progress.step = "downloads: a slow download is cancelled after confirming";
  await page.fill("#civitai-form-civitai", env("CIVITAI_SLOW_VERSION"));
  await page.click("#civitai-form button[type=submit]");
  const slow = page.locator("#jobs li.job", { hasNotText: "juggernaut" }).first();
  await slow.waitFor({ timeout });
  await page.waitForFunction(() => [...document.querySelectorAll("#jobs li.job")].some((li) => li.dataset.status === "running"), null, { timeout });
  await slow.locator("button", { hasText: "Cancel" }).click();
  await answerDialog(page, true);
  await page.waitForFunction(() => [...document.querySelectorAll("#jobs li.job")].some((li) => li.dataset.status === "cancelled"), null, { timeout });

  progress.step = "downloads: a refused download says why in plain words";
  await page.fill("#civitai-form-civitai", env("CIVITAI_GENERATION_ONLY_VERSION"));
  await page.click("#civitai-form button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll("#jobs li.job")].some((li) => li.dataset.status === "failed"), null, { timeout });
  const reason = await page.locator('#jobs li.job[data-status="failed"] .job-error').textContent();
  expect(/^Why: .{10,}/.test(reason), `the failure is not explained: ${reason}`);

  progress.step = "downloads: a Hugging Face repository and file go into the chosen folder";
  await page.fill("#hf-form-repo_id", env("HF_REPO"));
  await page.fill("#hf-form-filename", env("HF_FILE"));
  await page.selectOption("#hf-form-folder_type", "unet");
  await page.click("#hf-form button[type=submit]");
  const hfName = env("HF_FILE").split("/").pop();
  await page.waitForFunction(
    (name) => [...document.querySelectorAll("#jobs li.job")].some((li) => li.dataset.status === "completed" && li.textContent.includes(name)),
    hfName,
    { timeout: 60000 },
  );
  await shot(page, "downloads-all");
  noProblems(page);
}

async function removeKey(page) {
  progress.step = "keys: removing the CivitAI key asks first";
  await page.goto(`${base}/console/keys`);
  await ready(page);
  await page.click("#key-remove-civitai");
  await answerDialog(page, true);
  await page.waitForFunction(() => document.getElementById("key-status-civitai")?.textContent === "No key stored.", null, { timeout });
  const stored = await page.evaluate(async () => (await (await fetch("/mss-login/api/model-download/api-keys")).json()).sources_with_keys);
  expect(stored.length === 0, `keys still stored: ${stored}`);
}

async function turnOffMfa(page, secret) {
  progress.step = "security: two-factor sign-in is turned off with the password and a code, after confirming";
  await page.goto(`${base}/console/security`);
  await ready(page);
  expect((await page.textContent("#mfa-state")) === "Two-factor sign-in is on.", "MFA is not shown as on");
  await page.click("#mfa-section summary");
  await page.fill("#mfa-disable-form-password", password);
  // The next time step (one step of drift is allowed): the current one was used to sign in.
  await page.fill("#mfa-disable-form-code", totp(secret, Date.now() / 1000 + 30));
  await page.click("#mfa-disable-form button[type=submit]");
  await answerDialog(page, true);
  await page.waitForSelector("#mfa-start", { timeout });
  const me = await page.evaluate(async () => (await fetch("/mss-login/api/me")).json());
  expect(me.mfa_enabled === false, "MFA is still on");
  noProblems(page);
}

async function workflows(page) {
  progress.step = "workflows: a saved workflow is listed with its earlier version, which is restored";
  const first = JSON.stringify({ nodes: [], marker: "first" });
  const second = JSON.stringify({ nodes: [], marker: "second" });
  const saved = await page.evaluate(async ([a, b]) => {
    const save = (body) => fetch("/userdata/workflows%2Fportrait.json?overwrite=true", { method: "POST", body, headers: { "Content-Type": "application/json" } });
    return [(await save(a)).status, (await save(b)).status];
  }, [first, second]);
  expect(saved.every((status) => status === 200), `saving the workflow answered ${saved}`);
  await page.goto(`${base}/console/workflows`);
  await ready(page);
  const row = page.locator("#workflow-list tr", { hasText: "portrait.json" });
  await row.waitFor({ timeout });
  await row.locator("button", { hasText: "Versions" }).click();
  await page.waitForSelector("#workflow-versions:not([hidden]) tbody tr", { timeout });
  expect((await page.locator("#workflow-versions tbody tr").count()) === 1, "expected one earlier version");
  await shot(page, "workflows");
  await page.locator("#workflow-versions tbody tr button", { hasText: "Restore" }).click();
  await answerDialog(page, true);
  await page.waitForFunction(() => document.querySelectorAll("#workflow-versions tbody tr").length === 2, null, { timeout });
  const content = await page.evaluate(async () => (await fetch("/userdata/workflows%2Fportrait.json")).text());
  expect(content.includes('"first"'), `the restored content is ${content}`);

  progress.step = "workflows: deleting asks first, then the workflow is gone over HTTP";
  await page.locator("#workflow-list tr", { hasText: "portrait.json" }).locator("button", { hasText: "Delete" }).click();
  await answerDialog(page, true);
  await page.locator("#workflow-list tr", { hasText: "portrait.json" }).waitFor({ state: "detached", timeout });
  const gone = await page.evaluate(async () => (await fetch("/userdata/workflows%2Fportrait.json")).status);
  expect(gone === 404, `the deleted workflow answered ${gone}`);
  noProblems(page);
}

async function ordinaryUser(browser) {
  const user = env("USER_NAME");
  const newPassword = "a-new-and-longer-passphrase-77";
  progress.step = "an ordinary user sees no download pages";
  const page = await newPage(browser);
  await page.goto(`${base}/console/downloads`);
  await page.waitForURL(/\/console\/sign-in/, { timeout });
  await ready(page);
  await signIn(page, user);
  await page.waitForURL(`${base}/console/downloads`, { timeout });
  await ready(page);
  expect((await heading(page)) === "Not allowed", `heading: ${await heading(page)}`);
  const links = await page.$$eval("#nav a", (as) => as.map((a) => a.getAttribute("href")));
  expect(!links.includes("/console/downloads") && !links.includes("/console/keys"), `the navigation offers ${links}`);
  expect(links.includes("/console/security"), `the navigation lacks the security page: ${links}`);

  progress.step = "security: a session on another device is ended from this one, after confirming";
  const device = "comfygate-console-test second device";
  const other = await newPage(browser, { userAgent: device });
  await other.goto(`${base}/console/sign-in`);
  await ready(other);
  await signIn(other, user);
  await overview(other);
  const otherCookie = (await other.context().cookies()).find((cookie) => cookie.name === "jwt_token");
  expect(otherCookie, "the second device has no session cookie");
  const before = await withCookie(otherCookie.value, "/mss-login/api/me");
  expect(before.body.authenticated === true && before.body.username === user, `the second device's session: ${JSON.stringify(before.body)}`);
  progress.lastPage = page;
  await page.goto(`${base}/console/security`);
  await ready(page);
  const otherRow = page.locator("#sessions-heading ~ div tr", { hasText: device });
  await otherRow.locator("button", { hasText: "Sign out" }).click();
  await answerDialog(page, true);
  await otherRow.waitFor({ state: "detached", timeout });
  const stale = await withCookie(otherCookie.value, "/mss-login/api/me");
  expect(stale.status === 401 || stale.body.authenticated === false, `the ended session still works: ${stale.status} ${JSON.stringify(stale.body)}`);
  await other.goto(`${base}/console/tokens`);
  await other.waitForURL(/\/console\/sign-in\?next=%2Ftokens$/, { timeout });
  await other.context().close();
  const me = await page.evaluate(async () => (await fetch("/mss-login/api/me")).json());
  expect(me.authenticated === true, "ending the other session signed this one out");

  progress.step = "security: a wrong current password is reported next to it";
  await page.fill("#password-form-current_password", "not-my-password");
  await page.fill("#password-form-new_password", newPassword);
  await page.fill("#password-form-repeat", newPassword);
  await page.click("#password-form button[type=submit]");
  await page.waitForSelector("#password-form-current_password-error:not([hidden])", { timeout });

  progress.step = "security: two different new passwords are reported next to the repetition";
  await page.fill("#password-form-current_password", password);
  await page.fill("#password-form-repeat", newPassword + "x");
  await page.click("#password-form button[type=submit]");
  await page.waitForSelector("#password-form-repeat-error:not([hidden])", { timeout });

  progress.step = "security: a too short password is refused by the server next to the new password";
  await page.fill("#password-form-new_password", "short");
  await page.fill("#password-form-repeat", "short");
  await page.click("#password-form button[type=submit]");
  await page.waitForSelector("#password-form-new_password-error:not([hidden])", { timeout });

  progress.step = "security: the password is changed and the new one signs in";
  await page.fill("#password-form-current_password", password);
  await page.fill("#password-form-new_password", newPassword);
  await page.fill("#password-form-repeat", newPassword);
  await page.click("#password-form button[type=submit]");
  await page.waitForSelector("#password-changed", { timeout });
  await shot(page, "security");
  await signOut(page);
  await page.fill("#sign-in-form-username", user);
  await page.fill("#sign-in-form-password", newPassword);
  await page.click("#sign-in-form button[type=submit]");
  await overview(page);
  noProblems(page);
}

async function everyPage(browser) {
  const { page, secret } = await mfaSignIns(browser);
  await tokens(page);
  await keys(page);
  await downloads(page);
  await removeKey(page);
  await workflows(page);
  await turnOffMfa(page, secret);
  await ordinaryUser(browser);
}

runInChromium("console-user", async (browser) => {
  const scenario = env("SCENARIO", "shell");
  if (scenario === "shell") await shell(browser);
  else if (scenario === "user") await everyPage(browser);
  else throw new Error(`unknown SCENARIO ${scenario}`);
}, { failureScreenshot: `${screenshots}/console-failed.png` });
