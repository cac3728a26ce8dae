// The web console's admin pages in Debian's chromium driven by playwright-core
// (tests/integration/console/ConsoleAdminBrowserTest.cpp runs it). Environment:
//   GATEWAY_URL       http://127.0.0.1:<port> of the gateway
//   ADMIN_NAME        an admin (role admin)
//   USER_NAME         an ordinary user (role user)
//   PASSWORD          the password of both
//   POLICY_DIR        the gateway's policy.dir, where a broken script is written
//   NSFW_FILE, NSFW_SUBFOLDER  an output file the fake ComfyUI holds (the NSFW page tags it)
//   PLAYWRIGHT_DIR    where `scripts/dev deps` installed playwright-core (build/playwright-core)
//   CHROMIUM          the browser executable (default /usr/bin/chromium)
//   SCREENSHOT_DIR    where each page's screenshot goes (console-admin-<page>.png)
// Exits 0 after printing "console-admin: all steps passed", else 1 with the failed step.
import { writeFileSync } from "node:fs";
import { env, expect, progress, runInChromium, totp } from "./harness.mjs";

const base = env("GATEWAY_URL");
const password = env("PASSWORD");
const adminName = env("ADMIN_NAME");
const userName = env("USER_NAME");
const screenshots = env("SCREENSHOT_DIR");
const timeout = 20000;
/// What the policies page saves over the broken file (the C++ side checks it on disk).
const fixedPolicy = "-- fixed in the console\nlocal unused = true\n";

/// A new context whose pages fail the run on any CSP violation, uncaught error or request to
/// another origin. Refused API calls the steps provoke are logged by chromium and allowed.
async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: "en-US", ...options });
  const page = await context.newPage();
  progress.lastPage = page;
  page.problems = [];
  page.expectedErrors = [/Failed to load resource: the server responded with a status of (400|401|403|404|422)/];
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !page.expectedErrors.some((pattern) => pattern.test(text))) page.problems.push(text);
  });
  page.on("pageerror", (error) => page.problems.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith("data:")) page.problems.push(`request to another origin: ${request.url()}`);
  });
  return page;
}

function noProblems(page) {
  expect(page.problems.length === 0, `the page reported: ${page.problems.join(" | ")}`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${screenshots}/console-admin-${name}.png`, fullPage: true });
}

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "true" && !document.getElementById("main").hasAttribute("aria-busy"), null, { timeout });
}

async function heading(page) {
  return (await page.textContent("main h1")).trim();
}

async function open(page, path) {
  await page.goto(`${base}/console${path}`);
  await ready(page);
}

async function signIn(page, user) {
  await open(page, "/sign-in");
  await page.fill("#sign-in-form-username", user);
  await page.fill("#sign-in-form-password", password);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForURL(`${base}/console/`, { timeout });
  await ready(page);
}

/// Confirms the console's dialog (it must appear: every destructive action asks first).
async function confirm(page) {
  await page.waitForSelector("dialog#confirm[open]", { timeout });
  await page.click("#confirm-ok");
  await page.waitForSelector("dialog#confirm", { state: "hidden", timeout });
}

/// POST /mss-login/generate_token with a password: what `user` may do about API tokens.
async function tokenStatus(user) {
  const response = await fetch(`${base}/mss-login/generate_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, password, label: "matrix check", expire_hours: 1 }),
  });
  return response.status;
}

/// POST /login with `user`'s password over HTTP: the parsed answer (a session or an MFA step).
async function passwordLogin(user) {
  const response = await fetch(`${base}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, password }),
  });
  expect(response.status === 200, `${user} could not sign in over HTTP: ${response.status}`);
  return response.json();
}

/// Enrols `user` in MFA over HTTP, the way an authenticator app would: setup, then the first code.
async function enrolInMfa(user) {
  const { jwt_token: session } = await passwordLogin(user);
  expect(session, `${user} got no session`);
  const call = async (path, body) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${session}` },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    expect(response.status === 200, `${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };
  const { secret } = await call("/mss-login/api/mfa/setup", {});
  await call("/mss-login/api/mfa/verify-setup", { code: totp(secret, Date.now() / 1000) });
}

async function navLinks(page) {
  return page.$$eval("#nav a", (links) => links.map((link) => link.getAttribute("href")));
}

async function users(page) {
  progress.step = "the users page lists the accounts with the owner rules";
  await open(page, "/admin/users");
  expect((await heading(page)) === "Users", `heading: ${await heading(page)}`);
  expect((await page.textContent("main details.rules")).includes("exactly one owner"), "the owner rules are not shown");
  expect((await page.textContent("#user-list")).includes(userName), "the ordinary user is not listed");

  progress.step = "a weak password is refused next to the password field";
  await page.fill("#user-create-username", "bob_console");
  await page.fill("#user-create-password", "short");
  await page.click("#user-create button[type=submit]");
  await page.waitForSelector("#user-create-password-error:not([hidden])", { timeout });

  progress.step = "an admin creates a user with a role";
  await page.fill("#user-create-password", "another-long-password-77");
  await page.selectOption("#user-create-role", "power");
  await page.click("#user-create button[type=submit]");
  await page.waitForFunction(() => document.getElementById("user-list").textContent.includes("bob_console"), null, { timeout });
  expect((await page.inputValue("#role-bob_console")) === "power", "the new user's role is not power");

  progress.step = "disabling asks first, then marks the user disabled";
  const row = page.locator("#user-list tr", { hasText: "bob_console" });
  await row.locator("button", { hasText: "Disable" }).click();
  await confirm(page);
  await page.waitForFunction(() => [...document.querySelectorAll("#user-list tr")].some((tr) => tr.textContent.includes("bob_console") && tr.textContent.includes("disabled")), null, { timeout });
  const signInAnswer = await fetch(`${base}/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "bob_console", password: "another-long-password-77" }) });
  expect(signInAnswer.status === 403, `a disabled user signed in: ${signInAnswer.status}`);
  await shot(page, "users");

  progress.step = "deleting asks first, and Cancel keeps the user";
  await row.locator("button", { hasText: "Delete" }).click();
  await page.waitForSelector("dialog#confirm[open]", { timeout });
  await page.keyboard.press("Escape");
  await page.waitForSelector("dialog#confirm", { state: "hidden", timeout });
  expect((await page.textContent("#user-list")).includes("bob_console"), "Cancel deleted the user");
  await row.locator("button", { hasText: "Delete" }).click();
  await confirm(page);
  await page.waitForFunction(() => !document.getElementById("user-list").textContent.includes("bob_console"), null, { timeout });
  noProblems(page);
}

async function resetMfa(page) {
  progress.step = "reset MFA: a user enrolled in MFA (over HTTP) is shown with MFA on";
  await enrolInMfa(userName);
  expect((await passwordLogin(userName)).mfa_required === true, "the enrolled user signs in without a code");
  await open(page, "/admin/users");
  const row = page.locator("#user-list tr", { hasText: userName });
  expect((await row.locator("td").nth(2).textContent()).trim() === "on", `MFA column: ${await row.locator("td").nth(2).textContent()}`);

  progress.step = "reset MFA: the button asks first, then the user signs in with the password alone";
  await row.locator("button", { hasText: "Reset MFA" }).click();
  await confirm(page);
  await page.waitForFunction((name) => [...document.querySelectorAll("#user-list tr")].some((tr) =>
    tr.cells[0]?.textContent === name && tr.cells[2].textContent.trim() === "off"), userName, { timeout });
  expect((await row.locator("button", { hasText: "Reset MFA" }).count()) === 0, "Reset MFA is still offered");
  const after = await passwordLogin(userName);
  expect(after.jwt_token && !after.mfa_required, `after the reset the sign-in answered ${JSON.stringify(after)}`);
  noProblems(page);
}

async function permissions(page) {
  progress.step = "the matrix lists every declared permission with its description";
  expect((await tokenStatus(userName)) === 403, "an ordinary user could create an API token before the change");
  await open(page, "/admin/permissions");
  expect((await heading(page)) === "Permissions", `heading: ${await heading(page)}`);
  const described = await page.$eval("#permission-matrix", (table) => table.textContent.includes("can_have_api_tokens") && table.textContent.includes("create API tokens"));
  expect(described, "can_have_api_tokens and its description are not in the matrix");
  expect(!(await page.isChecked("#perm-user-can_have_api_tokens")), "role user already holds can_have_api_tokens");

  progress.step = "an admin grants role user API tokens, and admins model sharing and policy editing";
  await page.check("#perm-user-can_have_api_tokens");
  await page.check("#perm-admin-can_manage_model_sharing");
  await page.check("#perm-admin-can_edit_policies");
  await shot(page, "permissions");
  await page.click("#matrix-save");
  await page.waitForSelector("#matrix-status .notice.ok", { timeout });

  progress.step = "the ordinary user's access changed (over HTTP with their password)";
  expect((await tokenStatus(userName)) === 200, "the ordinary user still cannot create an API token");

  progress.step = "the admin's own new permission shows the model sharing page after a reload";
  await page.reload();
  await ready(page);
  expect((await navLinks(page)).includes("/console/admin/sharing"), `navigation: ${await navLinks(page)}`);
  noProblems(page);
}

async function sharing(page) {
  progress.step = "model sharing: share a checkpoint with the ordinary user for 24 hours";
  await open(page, "/admin/sharing");
  await page.fill("#share-who-name", userName);
  await page.click("#share-who button[type=submit]");
  await page.waitForSelector("#share-add", { timeout });
  await page.fill("#share-add-folder", "checkpoints");
  await page.fill("#share-add-item_name", "..");
  await page.click("#share-add button[type=submit]");
  await page.waitForSelector("#share-add-item_name-error:not([hidden])", { timeout });
  await page.fill("#share-add-item_name", "sdxl/*");
  await page.fill("#share-add-expires_in_hours", "24");
  await page.click("#share-add button[type=submit]");
  await page.waitForFunction(() => document.getElementById("sharing-result").textContent.includes("sdxl/*"), null, { timeout });
  await shot(page, "sharing");
  const shared = () => page.evaluate(async (name) =>
    (await (await fetch(`/mss-login/api/users/${encodeURIComponent(name)}/shared-items`)).json()).items.map((item) => `${item.folder}/${item.item_name}`), userName);
  expect((await shared()).includes("checkpoints/sdxl/*"), `shared over HTTP: ${await shared()}`);

  progress.step = "model sharing: stop sharing after a confirmation; the share is gone over HTTP";
  await page.locator("#sharing-result tr", { hasText: "sdxl/*" }).locator("button", { hasText: "Stop sharing" }).click();
  await confirm(page);
  await page.waitForFunction(() => document.getElementById("sharing-result").textContent.includes("Nothing is shared yet."), null, { timeout });
  expect((await shared()).length === 0, `still shared over HTTP: ${await shared()}`);
  noProblems(page);
}

async function ipLists(page) {
  progress.step = "IP lists: an invalid allow list entry is refused next to the field";
  await open(page, "/admin/ip-lists");
  await page.fill("#ip-allow-whitelist", "10.0.0.0/8\n999.1.1.1/40");
  await page.click("#ip-allow button[type=submit]");
  await page.waitForSelector("#ip-allow-whitelist-error:not([hidden])", { timeout });
  expect((await page.textContent("#ip-allow-whitelist-error")).includes("999.1.1.1/40"), "the error does not name the entry");
  expect((await page.getAttribute("#ip-allow-whitelist", "aria-invalid")) === "true", "the field is not marked invalid");

  progress.step = "IP lists: block an address for two hours, then unblock it after a confirmation";
  await page.fill("#ip-block-ip", "203.0.113.7");
  await page.fill("#ip-block-hours", "2");
  await page.click("#ip-block button[type=submit]");
  await page.waitForFunction(() => document.getElementById("ip-lists").textContent.includes("203.0.113.7 is blocked"), null, { timeout });
  await shot(page, "ip-lists");
  await page.locator("#ip-lists tr", { hasText: "203.0.113.7" }).locator("button", { hasText: "Unblock" }).click();
  await confirm(page);
  await page.waitForFunction(() => document.getElementById("ip-lists").textContent.includes("No address is blocked"), null, { timeout });
  noProblems(page);
}

async function policies(page) {
  progress.step = "policies: the files, their text and the try-it form";
  await open(page, "/admin/policies");
  expect((await heading(page)) === "Policies", `heading: ${await heading(page)}`);
  await page.click('#policy-files button[data-file="nsfw.lua"]');
  await page.waitForSelector("#policy-source li", { timeout });
  expect((await page.textContent("#policy-source")).includes("policy.on"), "nsfw.lua's text is not shown");
  const hook = await page.inputValue("#dry-run-hook");
  await page.click("#dry-run button[type=submit]");
  await page.waitForSelector("#dry-run-verdict .decision", { timeout });
  const decision = (await page.textContent("#dry-run-verdict .decision")).trim();
  expect(["allow", "deny", "modify"].includes(decision), `hook ${hook}: decision ${decision}`);

  progress.step = "policies: a JSON mistake in the sample is reported next to its field";
  await page.fill("#dry-run-subject", "{ not json");
  await page.click("#dry-run button[type=submit]");
  await page.waitForSelector("#dry-run-subject-error:not([hidden])", { timeout });

  progress.step = "policies: a broken file on disk, a reload, and the error at file:line";
  writeFileSync(`${env("POLICY_DIR")}/console_broken.lua`, "-- written by the console browser test\npolicy.on('view', function(subject, request)\n  return false,\n");
  await page.click("#policy-reload");
  await page.waitForSelector("#policy-problems li", { timeout });
  const problems = await page.textContent("#policy-problems");
  expect(problems.includes("console_broken.lua:4") || problems.includes("console_broken.lua:3"), `problems: ${problems}`);
  expect((await page.textContent("#policy-status")).includes("previous policies stay in force"), "the status does not say the old policies stay");
  // The reload opened the file at the line of the error.
  await page.waitForSelector("#policy-source li.error-line", { timeout });
  await shot(page, "policies");

  progress.step = "policies: an edit that does not compile is refused next to the editor";
  await page.click("#policy-edit-open");
  await page.waitForSelector("#policy-edit-source", { timeout });
  await page.fill("#policy-edit-source", "policy.on('view', function(\n");
  await page.click("#policy-edit button[type=submit]");
  await page.waitForSelector("#policy-edit-source-error:not([hidden])", { timeout });
  const refusal = await page.textContent("#policy-edit-source-error");
  expect(refusal.includes("console_broken.lua:"), `the refusal: ${refusal}`);

  progress.step = "policies: the fixed text is saved, reloaded and runs";
  await page.fill("#policy-edit-source", fixedPolicy);
  await page.click("#policy-edit button[type=submit]");
  await page.waitForFunction(() => document.getElementById("policy-last-reload").textContent.includes("compiled"), null, { timeout });
  await page.waitForSelector("#policy-source", { timeout });
  expect(!(await page.$("#policy-problems")), "the errors are still listed after the fix");
  expect((await page.textContent("#policy-source")).includes("fixed in the console"), "the viewer does not show the saved text");
  noProblems(page);
}

async function nsfw(page) {
  progress.step = "NSFW tags: a file ComfyUI does not have is refused next to the file name";
  await open(page, "/admin/nsfw");
  expect((await heading(page)) === "NSFW tags", `heading: ${await heading(page)}`);
  await page.fill("#nsfw-mark-filename", "no_such_image.png");
  await page.click("#nsfw-mark button[type=submit]");
  await page.waitForSelector("#nsfw-mark-filename-error:not([hidden])", { timeout });

  progress.step = "NSFW tags: a real output file is tagged NSFW; the tag is listed and served over HTTP";
  const file = env("NSFW_FILE");
  const subfolder = env("NSFW_SUBFOLDER", "");
  await page.fill("#nsfw-mark-filename", file);
  await page.fill("#nsfw-mark-subfolder", subfolder);
  await page.selectOption("#nsfw-mark-type", "output");
  await page.selectOption("#nsfw-mark-verdict", "nsfw");
  await page.click("#nsfw-mark button[type=submit]");
  await page.waitForFunction((name) => [...document.querySelectorAll("#nsfw-list tr")].some((tr) =>
    tr.textContent.includes(name) && tr.textContent.includes("NSFW")), file, { timeout });
  const tags = await page.evaluate(async () => (await (await fetch("/mss-login/api/nsfw-tags?nsfw_only=true")).json()).tags);
  expect(tags.some((tag) => tag.filename === file && tag.subfolder === subfolder && tag.type === "output" && tag.is_nsfw),
    `the NSFW tags over HTTP: ${JSON.stringify(tags)}`);
  await shot(page, "nsfw");
  noProblems(page);
}

async function audit(page) {
  progress.step = "audit log: filter by person and action";
  await open(page, "/admin/audit");
  expect((await heading(page)) === "Audit log", `heading: ${await heading(page)}`);
  await page.fill("#audit-filter-actor", adminName);
  await page.fill("#audit-filter-action", "groups.");
  await page.click("#audit-filter button[type=submit]");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#audit-results tbody tr")];
    return rows.length > 0 && rows.every((row) => row.textContent.includes("groups.update"));
  }, null, { timeout });
  await page.fill("#audit-filter-action", "policy.reload_failed");
  await page.click("#audit-filter button[type=submit]");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#audit-results tbody tr")];
    return rows.length === 1 && rows[0].textContent.includes("policy.reload_failed");
  }, null, { timeout });
  await page.fill("#audit-filter-action", "user.");
  await page.click("#audit-filter button[type=submit]");
  await page.waitForFunction(() => {
    const text = document.getElementById("audit-results").textContent;
    return text.includes("user.disable") && text.includes("user.delete") && !text.includes("groups.update");
  }, null, { timeout });
  await shot(page, "audit");
  noProblems(page);
}

async function overview(page) {
  progress.step = "live overview: charts drawn from /metrics";
  await open(page, "/admin/overview");
  await page.waitForFunction(() => Number(document.getElementById("metric-charts").dataset.samples) >= 2, null, { timeout });
  const lines = await page.$$eval("#metric-charts svg.spark polyline", (found) => found.length);
  expect(lines === 5, `${lines} charts drawn`);
  const label = await page.getAttribute("#chart-requests svg", "aria-label");
  expect(/^Requests per second: \d/.test(label), `chart label: ${label}`);
  await shot(page, "overview");
  noProblems(page);
}

async function phoneWidth(browser) {
  progress.step = "the admin pages work at phone width";
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  await signIn(page, adminName);
  await open(page, "/admin/permissions");
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  expect(!wide, "the page scrolls sideways at phone width");
  await shot(page, "permissions-phone");
  await page.context().close();
}

async function ordinaryUser(browser) {
  progress.step = "an ordinary user sees no admin page and is refused their APIs";
  const page = await newPage(browser);
  await signIn(page, userName);
  const links = await navLinks(page);
  expect(!links.some((link) => link.startsWith("/console/admin/")), `admin links shown: ${links}`);
  for (const path of ["/admin/users", "/admin/permissions", "/admin/policies", "/admin/audit", "/admin/overview"]) {
    await open(page, path);
    expect((await heading(page)) === "Not allowed", `${path}: heading ${await heading(page)}`);
  }
  await shot(page, "refused");
  // With the user's own session cookie, from the page: the APIs answer 403.
  const statuses = await page.evaluate(async () => {
    const paths = ["/mss-login/api/users", "/mss-login/api/permissions", "/mss-login/api/groups", "/mss-login/api/ip-lists",
      "/mss-login/api/admin/audit", "/mss-login/api/admin/policies", "/mss-login/api/admin/policies/source?file=nsfw.lua", "/mss-login/api/nsfw-tags"];
    const answers = {};
    for (const path of paths) answers[path] = (await fetch(path, { credentials: "same-origin" })).status;
    answers["PUT /mss-login/api/groups"] = (await fetch("/mss-login/api/groups", {
      method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ groups: { user: { can_manage_users: true } } }),
    })).status;
    return answers;
  });
  for (const [path, status] of Object.entries(statuses)) expect(status === 403, `${path} answered ${status} to an ordinary user`);
  noProblems(page);
  await page.context().close();
}

runInChromium("console-admin", async (browser) => {
  progress.step = "an admin signs in and sees the admin pages";
  const page = await newPage(browser);
  await signIn(page, adminName);
  const links = await navLinks(page);
  for (const path of ["users", "permissions", "ip-lists", "policies", "nsfw", "audit", "overview"])
    expect(links.includes(`/console/admin/${path}`), `no link to ${path}: ${links}`);
  await users(page);
  await resetMfa(page);
  await permissions(page);
  await sharing(page);
  await ipLists(page);
  await policies(page);
  await nsfw(page);
  await audit(page);
  await overview(page);
  await phoneWidth(browser);
  await ordinaryUser(browser);
}, { failureScreenshot: `${screenshots}/console-admin-failed.png` });
