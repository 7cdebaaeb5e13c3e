// The token endpoint under load (issue 25), for scripts/bench.sh: code
// exchanges and refreshes per second, with p50 and p99 latency, as an app
// server would make them (HTTP Basic, kept-alive connections).
//
// Usage: node token-bench.mjs BASE COOKIE CLIENT_ID SECRET REDIRECT_URI SECONDS
// Codes live 60 s, so they are made just before they are exchanged.
import http from "node:http";

const [base, cookie, clientId, secret, redirectUri, seconds] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const basic = "Basic " + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64");
const CONCURRENCY = 16;

function request(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const authorizePath =
  `/api/auth/oauth2/authorize?response_type=code&client_id=${encodeURIComponent(clientId)}` +
  `&redirect_uri=${encodeURIComponent(redirectUri)}&scope=openid+email+profile+offline_access`;

async function code() {
  const res = await request("GET", authorizePath, { cookie });
  const to = res.headers.location ?? "";
  const found = new URL(to, base).searchParams.get("code");
  if (!found) throw new Error(`no code: ${res.status} ${to}`);
  return found;
}

async function token(form) {
  const res = await request(
    "POST",
    "/api/auth/oauth2/token",
    { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
    new URLSearchParams(form).toString(),
  );
  if (res.status !== 200) throw new Error(`token endpoint: ${res.status} ${res.text}`);
  return JSON.parse(res.text);
}

/**
 * Runs `step` on CONCURRENCY workers for `ms`, each first `prepare`-ing
 * (not timed). The rate is what the timed steps sustain: workers divided
 * by the mean latency.
 */
async function measure(ms, setup, prepare, step) {
  const latencies = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      let state = await setup();
      while (Date.now() < end) {
        state = await prepare(state);
        const t = process.hrtime.bigint();
        state = await step(state);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  return `${((CONCURRENCY * 1000) / mean).toFixed(0).padStart(8)} req/s   p50 ${at(0.5).padStart(7)}ms   p99 ${at(0.99).padStart(7)}ms`;
}

const ms = Number(seconds) * 1000;
// Code exchange: each worker holds a batch of fresh codes and spends them.
const exchange = await measure(
  ms,
  async () => [],
  async (codes) => (codes.length > 0 ? codes : Promise.all(Array.from({ length: 50 }, code))),
  async (codes) => {
    await token({ grant_type: "authorization_code", code: codes.pop(), redirect_uri: redirectUri });
    return codes;
  },
);
console.log(`POST oauth2/token, code exchange (16 conn.)  ${exchange}   (codes made between, not timed)`);
// Refresh: each worker follows its own chain of rotating refresh tokens.
const refresh = await measure(
  ms,
  async () =>
    (await token({ grant_type: "authorization_code", code: await code(), redirect_uri: redirectUri })).refresh_token,
  async (rt) => rt,
  async (rt) => (await token({ grant_type: "refresh_token", refresh_token: rt })).refresh_token,
);
console.log(`POST oauth2/token, refresh (16 conn.)        ${refresh}`);
