// What every browser script of tests/browser shares: reading its environment, the RFC 6238 code
// a second factor needs, Debian's chromium launched through playwright-core, and the exit
// protocol the C++ driver checks (tests/support/BrowserScript.*): "<name>: all steps passed"
// and status 0, or "<name>: FAILED at <step>" and status 1.
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

export const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`environment variable ${name} is not set`);
  return value;
};

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/// RFC 6238 code of a base32 secret at `seconds` (SHA-1, 6 digits, 30 s).
export function totp(secret, seconds) {
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

/// Where a script is: the step it runs (named in a failure) and the newest page it opened (its
/// text, problems and a screenshot go with a failure when the script tracks pages).
export const progress = { step: "start", lastPage: null };

/// Runs `body(browser)` in chromium and ends the process with the protocol above. With
/// `failureScreenshot` (a file path), the last page is photographed when a step fails.
export function runInChromium(name, body, { failureScreenshot } = {}) {
  const run = async () => {
    if (failureScreenshot) mkdirSync(failureScreenshot.replace(/\/[^/]*$/, ""), { recursive: true });
    const require = createRequire(env("PLAYWRIGHT_DIR") + "/");
    progress.step = "load playwright-core";
    const { chromium } = require("playwright-core");
    progress.step = "launch chromium";
    const browser = await chromium.launch({ executablePath: env("CHROMIUM", "/usr/bin/chromium"), args: ["--no-sandbox"] });
    try {
      await body(browser);
    } catch (error) {
      const page = progress.lastPage;
      if (page && failureScreenshot) {
        await page.screenshot({ path: failureScreenshot, fullPage: true }).catch(() => {});
        error.message += `\n  the page's main text: ${await page.textContent("main").catch(() => "?")}`;
      }
      throw error;
    } finally {
      await browser.close();
    }
  };
  run().then(
    () => {
      console.log(`${name}: all steps passed`);
      process.exit(0);
    },
    (error) => {
      console.error(`${name}: FAILED at "${progress.step}": ${error.message}`);
      const page = progress.lastPage;
      if (page?.problems) console.error(`  at ${page.url()}; the page reported: ${page.problems.join(" | ") || "nothing"}`);
      process.exit(1);
    },
  );
}
