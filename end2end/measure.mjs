// What a page costs a browser, for scripts/bench.sh: the WebAssembly it
// loads on the wire (brotli, as served), and on a phone profile (1.6 Mbps,
// 150 ms round trip, 4x CPU slowdown, Chromium's own emulation) how long
// until its form can be used and until its island is live.
//
// Usage: node measure.mjs <base-url> <pages.json>
// pages.json: [{ "label": "...", "path": "/...", "cookie": "name=value"?, "phone": true? }]
// A form is usable once it is painted: it posts without the WebAssembly
// (src/pages/forms.rs). It is live once its submit button says
// data-hydrated="true".
import { chromium } from "@playwright/test";
import { readFileSync } from "node:fs";

const [base, pagesFile] = process.argv.slice(2);
const pages = JSON.parse(readFileSync(pagesFile, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function freshPage(cookie, viewport) {
  const context = await browser.newContext({ viewport });
  if (cookie) {
    const [name, ...value] = cookie.split("=");
    await context.addCookies([{ name, value: value.join("="), url: base }]);
  }
  return { context, page: await context.newPage() };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

console.log("WebAssembly a page loads (bytes on the wire, cold cache):");
for (const { label, path, cookie } of pages) {
  const { context, page } = await freshPage(cookie, { width: 1280, height: 800 });
  const wasm = [];
  page.on("requestfinished", async (request) => {
    if (!request.url().endsWith(".wasm")) return;
    const sizes = await request.sizes();
    wasm.push({ name: request.url().split("/").pop(), bytes: sizes.responseBodySize });
  });
  await page.goto(base + path, { waitUntil: "networkidle" });
  // Islands come alive when the browser is idle; give the chunks time.
  await page.waitForTimeout(500);
  await page.waitForLoadState("networkidle");
  const total = wasm.reduce((sum, w) => sum + w.bytes, 0);
  console.log(`  ${label.padEnd(34)} ${kb(total).padStart(9)} in ${wasm.length} file(s)`);
  await context.close();
}

console.log("\nPhone profile (1.6 Mbps, 150 ms RTT, 4x CPU), cold cache: form painted (usable) / island live");
for (const { label, path, cookie, phone } of pages) {
  if (!phone) continue;
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const { context, page } = await freshPage(cookie, { width: 412, height: 915 });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 150,
      downloadThroughput: (1.6 * 1024 * 1024) / 8,
      uploadThroughput: (750 * 1024) / 8,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await page.goto(base + path, { waitUntil: "commit" });
    await page.waitForSelector("form button[type=submit]", { state: "visible", timeout: 30_000 });
    await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, null, { timeout: 30_000 });
    const painted = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0].startTime);
    // Timed inside the page, so the check's own round trip is not counted.
    const live = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const selector = 'form button[type=submit][data-hydrated="true"]';
          const done = () => document.querySelector(selector) && (resolve(performance.now()), true);
          if (!done()) new MutationObserver((_, observer) => done() && observer.disconnect()).observe(document, { subtree: true, attributes: true });
        }),
    );
    runs.push({ painted, live });
    await context.close();
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ms = (x) => `${Math.round(x)} ms`;
  console.log(`  ${label.padEnd(34)} ${ms(median(runs.map((r) => r.painted))).padStart(8)} / ${ms(median(runs.map((r) => r.live)))}  (median of 3)`);
}
await browser.close();
