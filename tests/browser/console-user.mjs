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
//   CIVITAI_VERSION   (user) a CivitAI model version the fake serves
// Exits 0 after printing "console-user: all steps passed", else 1 with the failed step.
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`environment variable ${name} is not set`);
  return value;
};
const base = env("GATEWAY_URL");
const password = env("PASSWORD");
const screenshots = env("SCREENSHOT_DIR");
const timeout = 20000;

let step = "start";
let lastPage = null; // the newest page, described when a step fails
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/// RFC 6238 code of a base32 secret at `seconds` (SHA-1, 6 digits, 30 s).
function totp(secret, seconds) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/// A new context whose pages fail the run on any CSP violation or uncaught script error.
async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
  const page = await context.newPage();
  lastPage = page;
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

async function shot(page, name) {
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
  step = "a visitor asking for a page is sent to sign in";
  const page = await newPage(browser, { locale: "en-US" });
  await page.goto(`${base}/console/`);
  await page.waitForURL(/\/console\/sign-in\?next=%2F$/, { timeout });
  await ready(page);
  expect((await heading(page)) === "Sign in", `heading: ${await heading(page)}`);
  expect(await page.evaluate(() => document.activeElement.id === "sign-in-form-username" || document.activeElement.tagName === "H1"),
    "focus is not on the sign-in form");
  await shot(page, "sign-in");

  step = "a wrong password is reported next to the password field";
  await page.fill("#sign-in-form-username", env("USER_NAME"));
  await page.fill("#sign-in-form-password", "not-the-password");
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#sign-in-form-password-error:not([hidden])", { timeout });
  expect((await page.getAttribute("#sign-in-form-password", "aria-invalid")) === "true", "the field is not marked invalid");
  const describedBy = await page.getAttribute("#sign-in-form-password", "aria-describedby");
  expect(describedBy.split(" ").includes("sign-in-form-password-error"), `aria-describedby: ${describedBy}`);

  step = "signing in returns to the page asked for";
  await signIn(page, env("USER_NAME"));
  await page.waitForURL(`${base}/console/`, { timeout });
  await ready(page);
  expect((await heading(page)) === "Overview", `heading: ${await heading(page)}`);
  expect((await page.textContent("#who")) === env("USER_NAME"), "the header does not name the user");
  expect((await page.textContent("#me")).includes("user"), "the overview does not show the role");
  await shot(page, "overview");

  step = "the phone width still shows the navigation and the page";
  await page.setViewportSize({ width: 380, height: 800 });
  await shot(page, "overview-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await page.setViewportSize({ width: 1100, height: 800 });

  step = "an unknown page says so";
  await page.goto(`${base}/console/no-such-page`);
  await ready(page);
  expect((await heading(page)) === "Page not found", `heading: ${await heading(page)}`);

  step = "signing out ends the session";
  await page.goto(`${base}/console/`);
  await ready(page);
  await page.click("#sign-out");
  await page.waitForURL(/\/console\/sign-in/, { timeout });
  const me = await page.evaluate(async () => (await fetch("/mss-login/api/me")).json());
  expect(me.authenticated === false, "still signed in after signing out");
  noProblems(page);

  step = "a German browser gets the German console";
  const german = await newPage(browser, { locale: "de-DE" });
  await german.goto(`${base}/console/`);
  await german.waitForURL(/\/console\/sign-in/, { timeout });
  await ready(german);
  expect((await heading(german)) === "Anmelden", `German heading: ${await heading(german)}`);
  expect((await german.getAttribute("html", "lang")) === "de", "the document language is not de");
  await shot(german, "sign-in-de");
  noProblems(german);
}

async function main() {
  mkdirSync(screenshots, { recursive: true });
  const require = createRequire(env("PLAYWRIGHT_DIR") + "/");
  step = "load playwright-core";
  const { chromium } = require("playwright-core");
  step = "launch chromium";
  const browser = await chromium.launch({ executablePath: env("CHROMIUM", "/usr/bin/chromium"), args: ["--no-sandbox"] });
  try {
    const scenario = env("SCENARIO", "shell");
    if (scenario === "shell") await shell(browser);
    else throw new Error(`unknown SCENARIO ${scenario}`);
  } catch (error) {
    if (lastPage) {
      await lastPage.screenshot({ path: `${screenshots}/console-failed.png`, fullPage: true }).catch(() => {});
      error.message += `\n  the page's main text: ${await lastPage.textContent("main").catch(() => "?")}`;
    }
    throw error;
  } finally {
    await browser.close();
  }
}

main().then(
  () => {
    console.log("console-user: all steps passed");
    process.exit(0);
  },
  (error) => {
    console.error(`console-user: FAILED at "${step}": ${error.message}`);
    if (lastPage) console.error(`  at ${lastPage.url()}; the page reported: ${lastPage.problems.join(" | ") || "nothing"}`);
    process.exit(1);
  },
);
