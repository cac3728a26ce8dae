// The ComfyUI web UI through the gateway, in Debian's chromium driven by playwright-core
// (tests/integration/comfy-proxy/WebUiBrowserTest.cpp runs it). Environment:
//   GATEWAY_URL                 http://127.0.0.1:<port> of the gateway (in front of the fake ComfyUI)
//   FIRST_USER, SECOND_USER     two users with role user; MFA_USER must enrol in MFA at sign-in
//   PASSWORD                    the password of all three
//   PLAYWRIGHT_DIR              where `scripts/dev deps` installed playwright-core (build/playwright-core)
//   CHROMIUM                    the browser executable (default /usr/bin/chromium)
//   SCENARIO                    "session" (default: sign-in, prompts, isolation, sign-out, MFA) or
//                               "workflows" (save, list, reopen a workflow and a setting; MFA_USER unused)
//   WORKFLOW_NAME               the workflow the "workflows" scenario saves (without .json)
// Exits 0 after printing "webui: all steps passed", else 1 with the failed step.
import { env, expect, progress, runInChromium, totp } from "./harness.mjs";

const base = env("GATEWAY_URL");
const password = env("PASSWORD");
const timeout = 20000;

async function signIn(page, user, expectedUrl) {
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("#signin-button");
  if (expectedUrl) await page.waitForURL(expectedUrl, { timeout });
}

async function waitForBoot(page) {
  const state = page.locator("#boot-state");
  await page.waitForFunction(() => document.getElementById("boot-state").textContent !== "booting", null, { timeout });
  expect((await state.textContent()) === "ready", `the front end did not boot: ${await state.textContent()}`);
  const calls = await page.$$eval("#boot-calls li", (items) => items.map((li) => [li.dataset.path, li.dataset.status]));
  const status = (path) => (calls.find(([p]) => p === path) || [])[1];
  for (const path of ["/users", "/settings", "/object_info", "/extensions"])
    expect(status(path) === "200", `${path} answered ${status(path)} (calls: ${JSON.stringify(calls)})`);
  const listing = status("/userdata?dir=workflows&recurse=true&split=false&full_info=true");
  expect(listing === "200" || listing === "404", `the workflow listing answered ${listing}`);
  expect((await page.textContent("#ws-state")) === "open", "the WebSocket /ws is not open");
  expect((await page.locator("#menu-comfygate-SignOut").count()) === 1, "the gateway's sign-out menu entry is missing");
}

async function historyIds(page) {
  await page.click("#refresh-button");
  await page.waitForTimeout(300);
  return page.$$eval("#history-list li", (items) => items.map((li) => li.textContent));
}

async function workflowNames(page) {
  return page.$$eval("#workflow-list li", (items) => items.map((li) => li.dataset.path));
}

/// A new browser context signed in as `user`, with the front end booted.
async function signedInPage(browser, user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + "/");
  expect(new URL(page.url()).pathname === "/login", `expected the sign-in page, got ${page.url()}`);
  await signIn(page, user, base + "/");
  const selected = await page.evaluate(() => localStorage["Comfy.userId"]);
  expect(typeof selected === "string" && selected !== "", "the sign-in page selected no ComfyUI user");
  await waitForBoot(page);
  return page;
}

/// The workflows a user saves from the web UI (ComfyUI's userdata calls, kept by the gateway).
async function workflows(browser) {
  const name = env("WORKFLOW_NAME");
  const file = name + ".json";

  progress.step = "first user: a page without a selected ComfyUI user asks for one";
  const bare = await (await browser.newContext()).newPage();
  await bare.goto(base + "/");
  await signIn(bare, env("FIRST_USER"), base + "/");
  await bare.evaluate(() => localStorage.removeItem("Comfy.userId"));
  await bare.reload();
  await bare.waitForFunction(() => document.getElementById("boot-state").textContent !== "booting", null, { timeout });
  const bareState = await bare.textContent("#boot-state");
  expect(bareState === "failed: needs user selection", `without Comfy.userId the front end booted: ${bareState}`);

  progress.step = "first user: signs in and the front end boots";
  const page = await signedInPage(browser, env("FIRST_USER"));
  expect(!(await workflowNames(page)).includes(file), "the workflow is listed before it was saved");

  progress.step = "first user: saves a workflow";
  await page.fill("#workflow-name", name);
  await page.click("#save-workflow");
  await page.waitForFunction(() => document.getElementById("save-state").textContent !== "" ||
                                   document.getElementById("boot-state").textContent !== "ready", null, { timeout });
  expect((await page.textContent("#boot-state")) === "ready", `saving failed: ${await page.textContent("#boot-state")}`);
  const saved = await page.textContent("#save-state");
  expect(saved === `saved workflows/${file}`, `the save answered ${saved}`);
  expect((await workflowNames(page)).includes(file), "the saved workflow is not listed");

  progress.step = "first user: stores a setting";
  await page.fill("#setting-value", "value-of-" + name);
  await page.click("#set-setting");
  await page.waitForFunction(() => document.getElementById("setting-state").textContent === "stored" ||
                                   document.getElementById("boot-state").textContent !== "ready", null, { timeout });
  expect((await page.textContent("#boot-state")) === "ready", `the setting failed: ${await page.textContent("#boot-state")}`);

  progress.step = "first user: reloads, sees the workflow and reopens it";
  await page.reload();
  await waitForBoot(page);
  const listed = await workflowNames(page);
  expect(listed.includes(file), `after a reload the list is ${JSON.stringify(listed)}`);
  expect((await page.textContent("#test-setting")) === JSON.stringify("value-of-" + name),
         `after a reload the setting is ${await page.textContent("#test-setting")}`);
  await page.fill("#workflow-name", name);
  await page.click("#open-workflow");
  await page.waitForFunction(() => document.getElementById("opened-workflow").textContent !== "", null, { timeout });
  const opened = await page.textContent("#opened-workflow");
  expect(opened === `workflows/${file}: 7 nodes, marker ${name}`, `reopened: ${opened}`);

  progress.step = "second user: does not see the first user's workflow or setting";
  const other = await signedInPage(browser, env("SECOND_USER"));
  const others = await workflowNames(other);
  expect(!others.includes(file), `the second user lists ${JSON.stringify(others)}`);
  expect((await other.textContent("#test-setting")) === "null",
         `the second user sees the setting ${await other.textContent("#test-setting")}`);
  await other.fill("#workflow-name", name);
  await other.click("#open-workflow");
  await other.waitForFunction(() => document.getElementById("opened-workflow").textContent !== "", null, { timeout });
  const foreign = await other.textContent("#opened-workflow");
  expect(foreign === "error 404", `the second user opened the first user's workflow: ${foreign}`);
}

/// Sign-in, prompts and their isolation, sign-out and MFA.
async function session(browser) {
  {
    // 1. A browser without a session is sent to sign in and comes back to the page it asked for.
    progress.step = "first user: sent to sign in";
    const first = await browser.newContext();
    const page = await first.newPage();
    await page.goto(base + "/?tab=queue");
    const login = new URL(page.url());
    expect(login.pathname === "/login", `expected the sign-in page, got ${page.url()}`);
    expect(login.searchParams.get("next") === "/?tab=queue", `next is ${login.searchParams.get("next")}`);

    progress.step = "first user: a wrong password is shown";
    await page.fill("#username", env("FIRST_USER"));
    await page.fill("#password", "not-the-password");
    await page.click("#signin-button");
    await page.waitForFunction(() => document.getElementById("error").textContent !== "", null, { timeout });
    expect(/invalid/i.test(await page.textContent("#error")), `error shown: ${await page.textContent("#error")}`);

    progress.step = "first user: signs in and returns";
    await signIn(page, env("FIRST_USER"), base + "/?tab=queue");
    const cookie = (await first.cookies()).find((c) => c.name === "jwt_token");
    expect(cookie && cookie.httpOnly && cookie.sameSite === "Lax", `session cookie: ${JSON.stringify(cookie)}`);

    progress.step = "first user: the front end boots";
    await waitForBoot(page);

    progress.step = "first user: queues a prompt and sees the image";
    await page.click("#queue-button");
    await page.waitForFunction(() => {
      const img = document.getElementById("output-image");
      return img.complete && img.naturalWidth > 0;
    }, null, { timeout });
    const imageUrl = await page.getAttribute("#output-image", "src");
    const promptId = await page.textContent("#last-prompt-id");
    expect((await historyIds(page)).includes(promptId), "the prompt is not in the first user's history");

    // 2. The other user sees none of it; a sign-in link to another site lands on the gateway.
    progress.step = "second user: signs in (next to another site is refused)";
    const second = await browser.newContext();
    const other = await second.newPage();
    await other.goto(base + "/login?next=" + encodeURIComponent("//evil.example/"));
    await signIn(other, env("SECOND_USER"), base + "/");
    await waitForBoot(other);

    progress.step = "second user: sees no queue, history or image of the first";
    expect((await historyIds(other)).length === 0, "the second user sees history items");
    expect((await other.textContent("#queue-running")) === "0", "the second user sees a running prompt");
    expect((await other.textContent("#queue-pending")) === "0", "the second user sees pending prompts");
    const foreign = await other.evaluate(async (url) => (await fetch(url)).status, new URL(imageUrl, base).href);
    expect(foreign === 404, `the first user's image answered ${foreign} to the second user`);
    const foreignHistory = await other.evaluate(async (id) => (await fetch("/api/history/" + id)).text(), promptId);
    expect(foreignHistory === "{}", `the first user's history entry: ${foreignHistory}`);

    // 3. Signing out from the extension's menu entry ends the session.
    progress.step = "first user: signs out from the menu";
    await page.click("#menu-comfygate-SignOut");
    await page.waitForURL((url) => url.pathname === "/login", { timeout });
    const stale = await fetch(base + "/api/queue", { headers: { Cookie: `jwt_token=${cookie.value}` } });
    expect(stale.status === 401, `the old session cookie still works (${stale.status})`);
    await page.goto(base + "/");
    expect(new URL(page.url()).pathname === "/login", "after signing out / did not ask to sign in");

    // 4. A user who must use MFA enrols through the page, then signs in with a code.
    progress.step = "MFA user: enrols at sign-in";
    const third = await browser.newContext();
    const mfa = await third.newPage();
    await mfa.goto(base + "/");
    await signIn(mfa, env("MFA_USER"));
    await mfa.waitForSelector("#mfa-setup-form:not([hidden])", { timeout });
    const secret = (await mfa.textContent("#mfa-secret")).trim();
    expect(/^[A-Z2-7]+=*$/.test(secret), `no TOTP secret shown: ${secret}`);
    await mfa.fill("#mfa-setup-code", totp(secret, Date.now() / 1000));
    await mfa.click("#mfa-setup-button");
    await mfa.waitForURL(base + "/", { timeout });
    await waitForBoot(mfa);

    progress.step = "MFA user: signs out with the action-bar button";
    await mfa.click("#action-comfygate-SignOut-0");
    await mfa.waitForURL((url) => url.pathname === "/login", { timeout });

    progress.step = "MFA user: signs in with a TOTP code";
    await mfa.goto(base + "/?again=1");
    await signIn(mfa, env("MFA_USER"));
    await mfa.waitForSelector("#mfa-form:not([hidden])", { timeout });
    // The enrolment used this time step; each step counts once, and the next one is accepted.
    await mfa.fill("#mfa-code", totp(secret, Date.now() / 1000 + 30));
    await mfa.click("#mfa-button");
    await mfa.waitForURL(base + "/?again=1", { timeout });
    await waitForBoot(mfa);
  }
}

runInChromium("webui", async (browser) => {
  const scenario = env("SCENARIO", "session");
  if (scenario === "workflows") await workflows(browser);
  else if (scenario === "session") await session(browser);
  else throw new Error(`unknown SCENARIO ${scenario}`);
});
