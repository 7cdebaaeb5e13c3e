import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import path from "node:path";
import { test as base, expect, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import jsQR from "jsqr";
import { PNG } from "pngjs";

export { expect };
export type { Browser, Page } from "@playwright/test";

/**
 * Playwright's `test`, failing any test during which a page threw an
 * uncaught error or logged one to the console: a page that does not
 * hydrate (a broken WASM, a hydration mismatch, a panic, an island missing
 * from the page's bundle) says so there.
 * It watches every page of every context, including those a test opens
 * with `browser.newContext()`. A refused request (a 4xx the test asked
 * for) is the browser's note, not the page's error, and is let through.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ browser, context }, use) => {
      const errors: string[] = [];
      const watchPage = (page: Page) => {
        page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught ${e.name}: ${e.message}`));
        page.on("console", (m) => {
          if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
            errors.push(`${page.url()}: console error: ${m.text()}`);
          }
          // Leptos's island loader, when the page's bundle lacks one of
          // its islands (a page module in the wrong group, src/pages/mod.rs).
          if (m.type() === "warning" && m.text().startsWith("Could not find WASM function")) {
            errors.push(`${page.url()}: ${m.text()}`);
          }
        });
      };
      const watchContext = (c: BrowserContext) => {
        c.pages().forEach(watchPage);
        c.on("page", watchPage);
      };
      watchContext(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args) => {
        const c = await newContext(...args);
        watchContext(c);
        return c;
      };
      try {
        await use(errors);
      } finally {
        browser.newContext = newContext;
      }
      expect(errors, "errors logged by the pages").toEqual([]);
    },
    { auto: true },
  ],
});

// The server Playwright starts (playwright.config.ts), the release build
// that scripts/run.sh serves, keeps its database
// here; the tests read queued emails from it and run `gatehouse invite`
// against it, as a self-hoster would on the same machine.
const root = path.resolve(__dirname, "../..");
const database = "target/e2e/gatehouse.db";
export const password = "correct horse battery staple";
export const unique = (who: string) => `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

/** The environment of a `gatehouse` command run beside the test server. */
function cliEnv(baseURL?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GATEHOUSE_DATABASE_URL: `sqlite://${database}`,
    GATEHOUSE_KEY_FILE: "target/e2e/gatehouse.key",
    ...(baseURL ? { GATEHOUSE_BASE_URL: baseURL } : {}),
    RUST_LOG: "warn",
  };
}

/** `gatehouse invite …`; its last line of output is the invitation URL. */
export function cliInvite(baseURL: string, ...args: string[]): string {
  const out = execFileSync("./target/release/gatehouse", ["invite", ...args], {
    cwd: root,
    env: cliEnv(baseURL),
  });
  return out.toString().trim().split("\n").pop()!;
}

/**
 * The texts of the emails queued for `to`, newest first, read as an
 * operator would with no mail server: `gatehouse outbox show ID` (the
 * stored text has its link or code hidden).
 */
function emailsTo(to: string): string[] {
  const ids = execFileSync(
    "python3",
    [
      "-c",
      "import sqlite3, sys\n" +
        "rows = sqlite3.connect(sys.argv[1]).execute('select id from outbound_emails where recipient = ? order by created_at desc', (sys.argv[2],)).fetchall()\n" +
        "print(' '.join(r[0] for r in rows))",
      path.join(root, database),
      to,
    ],
  )
    .toString()
    .trim()
    .split(" ")
    .filter(Boolean);
  expect(ids.length, `an email queued for ${to}`).toBeGreaterThan(0);
  return ids.map((id) =>
    execFileSync("./target/release/gatehouse", ["outbox", "show", id], {
      cwd: root,
      env: cliEnv(),
    }).toString(),
  );
}

/** The link to `/{page}…` in the newest email queued for `to` that has one. */
export function linkInEmailTo(to: string, page = "invite"): string {
  for (const text of emailsTo(to)) {
    const link = text.match(new RegExp(`https?://\\S+/${page}[/?]\\S+`));
    if (link) return link[0];
  }
  throw new Error(`no email to ${to} with a /${page} link`);
}

/** The 6-digit code in the newest email queued for `to` that has one. */
export function codeInEmailTo(to: string): string {
  for (const text of emailsTo(to)) {
    const code = text.match(/^\s*(\d{6})\s*$/m);
    if (code) return code[1];
  }
  throw new Error(`no email to ${to} with a code`);
}

/** A screenshot for review, when SHOTS names a folder. */
export async function shot(page: Page, name: string) {
  if (process.env.SHOTS) {
    await page.screenshot({ path: path.join(process.env.SHOTS, `${test.info().project.name}-${name}.png`), fullPage: !process.env.SHOTS_VIEWPORT });
  }
}

export async function signUpFromInvitation(page: Page, name: string, email?: string) {
  await page.getByRole("link", { name: "Create your account" }).click();
  await expect(page).toHaveURL(/\/sign-up$/);
  await page.getByLabel("Name").fill(name);
  if (email) await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await shot(page, "invite-sign-up");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/welcome/);
}


/** A person signed up through the page (open sign-up on the test server), in a context of their own. */
export async function signedUp(browser: Browser, name: string, email = unique(name.toLowerCase())): Promise<{ page: Page; email: string }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  return { page, email };
}

/** The text of the QR code `locator` shows, read from its pixels as a phone's camera would. */
export async function qrText(locator: Locator): Promise<string> {
  const png = PNG.sync.read(await locator.screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(found, "a readable QR code").toBeTruthy();
  return found!.data;
}

/** The code an authenticator app shows for `otpauth://` URI `uri`, `ahead` 30-second steps from now (RFC 6238, SHA-1, 6 digits). */
export function totpCode(uri: string, ahead = 0): string {
  const secret = new URL(uri).searchParams.get("secret")!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + ahead));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}
