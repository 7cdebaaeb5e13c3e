import { defineConfig, devices } from "@playwright/test";

// One Gatehouse instance for the whole run, on its own port and a fresh
// SQLite file, in open sign-up mode so the tests can create accounts. It is
// the release build, the one scripts/run.sh serves: a debug build skips
// wasm-opt and precompression, so it once passed every test while the
// release build's pages were dead.
const port = 3917;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], channel: undefined } },
    { name: "phone", use: { ...devices["Pixel 7"], channel: undefined } },
  ],
  webServer: {
    command: "rm -rf target/e2e && exec ./target/release/gatehouse serve",
    cwd: "..",
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      GATEHOUSE_BIND: `127.0.0.1:${port}`,
      GATEHOUSE_BASE_URL: baseURL,
      GATEHOUSE_DATABASE_URL: "sqlite://target/e2e/gatehouse.db",
      // Created at the first start, mode 600, as a self-hoster's would be;
      // the helpers' `gatehouse outbox show` reads it too.
      GATEHOUSE_KEY_FILE: "target/e2e/gatehouse.key",
      GATEHOUSE_SIGN_UP_MODE: "open",
      GATEHOUSE_RATE_LIMITS__SIGN_UP: "1000/1m",
      GATEHOUSE_RATE_LIMITS__SIGN_IN: "1000/1m",
      // Resets, enrollments and email confirmations share this limit; the
      // suite confirms several addresses from one IP.
      GATEHOUSE_RATE_LIMITS__PASSWORD_RESET: "1000/1m",
      // The webhook test's receiver runs on this machine; retries come quickly.
      GATEHOUSE_WEBHOOKS__ALLOW_PRIVATE_NETWORKS: "true",
      GATEHOUSE_WEBHOOKS__POLL_INTERVAL: "200ms",
      GATEHOUSE_WEBHOOKS__RETRY_BACKOFF: "1s",
      RUST_LOG: "info",
    },
  },
});
