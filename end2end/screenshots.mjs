// Takes screenshots of Gatehouse's pages at desktop and phone widths, and
// reports console errors (a CSP violation would show up here).
// Usage: node screenshots.mjs <base-url> <out-dir> [path ...]
import { chromium } from "@playwright/test";
import { mkdirSync } from "node:fs";

const [base = "http://127.0.0.1:3917", out = "../screenshots", ...paths] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
for (const [label, viewport] of Object.entries(sizes)) {
  const context = await browser.newContext({ viewport, storageState: process.env.STATE });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && console.log(`console error on ${page.url()}: ${m.text()}`));
  for (const path of paths.length ? paths : ["/sign-in", "/sign-up", "/forgot-password", "/reset-password?token=x", "/nowhere"]) {
    await page.goto(base + path, { waitUntil: "networkidle" });
    const name = `${label}${path.replace(/[^a-z0-9]+/gi, "_")}.png`;
    await page.screenshot({ path: `${out}/${name}`, fullPage: true });
    console.log(`${out}/${name}`);
  }
  await context.close();
}
await browser.close();
