import { createHmac } from "node:crypto";
import { createServer, IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

import { cliInvite, expect, shot, signUpFromInvitation, test, unique } from "./helpers";

type Delivery = { headers: IncomingHttpHeaders; body: string };

/** A receiver like an app's: it records each POST and answers 200. */
async function receiver(): Promise<{ url: string; received: Delivery[]; close: () => void }> {
  const received: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/gatehouse`, received, close: () => server.close() };
}

/** The Standard Webhooks check a receiver makes, written from the specification. */
function signedWith(d: Delivery, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${d.headers["webhook-id"]}.${d.headers["webhook-timestamp"]}.${d.body}`)
    .digest("base64");
  return String(d.headers["webhook-signature"]).split(" ").includes(`v1,${expected}`);
}

test("an owner adds a webhook, sees its deliveries and replays one", async ({ browser, baseURL }) => {
  const hook = await receiver();
  const page = await (await browser.newContext()).newPage();
  await page.goto(cliInvite(baseURL!, "--role", "owner"));
  await signUpFromInvitation(page, "Wren Owner", unique("webhook-owner"));

  await page.goto("/dashboard");
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();
  await page.getByLabel("Endpoint URL").fill(hook.url);
  await page.getByLabel("Description").fill("Billing app");
  await page.getByLabel("All events").uncheck();
  await page.getByText("Users (admin changes)").click();
  await page.getByLabel("user.set-role").check();
  await shot(page, "webhooks-add");
  await page.getByRole("button", { name: "Add webhook" }).click();

  // The new webhook's page, with its secret shown this once.
  await expect(page).toHaveURL(/\/admin\/webhooks\/[^/]+$/);
  await expect(page.getByText("Webhook added.")).toBeVisible();
  const secret = (await page.getByTestId("webhook-secret").textContent())!.trim();
  expect(secret).toMatch(/^whsec_/);
  await expect(page.getByRole("heading", { name: hook.url })).toBeVisible();
  await shot(page, "webhook-added");

  // Someone's role changes: the app hears of it.
  const created = await page.request.post("/api/auth/admin/create-user", {
    data: { email: unique("hooked"), name: "Hal Hooked", role: "user" },
  });
  expect(created.status(), await created.text()).toBe(200);
  const userId = (await created.json()).user.id;
  const changed = await page.request.post("/api/auth/admin/set-role", { data: { userId, role: "moderator" } });
  expect(changed.status()).toBe(200);
  await expect.poll(() => hook.received.length).toBe(1);
  const first = hook.received[0];
  expect(signedWith(first, secret)).toBe(true);
  expect(JSON.parse(first.body)).toMatchObject({ type: "user.set-role", data: { targetId: userId, after: { role: "moderator" } } });

  // Its deliveries, on the page.
  const here = page.url();
  await expect(async () => {
    await page.goto(here);
    await expect(page.getByTestId("delivery-row")).toHaveCount(1);
    await expect(page.getByTestId("delivery-status").first()).toHaveText("delivered");
  }).toPass();
  await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
  const row = page.getByTestId("delivery-row").first();
  await row.locator("summary").click();
  await expect(row.locator("pre")).toContainText('"type": "user.set-role"');
  await shot(page, "webhook-deliveries");

  // Replay it: the same event, under the same id, signed again.
  await row.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByText("user.set-role is queued again")).toBeVisible();
  await expect.poll(() => hook.received.length).toBe(2);
  expect(hook.received[1].headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  expect(hook.received[1].body).toBe(first.body);
  expect(signedWith(hook.received[1], secret)).toBe(true);
  await expect(async () => {
    await page.goto(here);
    await expect(page.getByTestId("delivery-row")).toHaveCount(2);
    await expect(page.getByTestId("delivery-status")).toHaveText(["delivered", "delivered"]);
  }).toPass();
  await expect(page.getByTestId("delivery-row").first()).toContainText("replay");

  await page.goto("/admin/webhooks");
  await expect(page.getByTestId("webhook-row").filter({ hasText: hook.url })).toContainText("2 delivered");
  await shot(page, "webhooks-list");
  await page.getByTestId("webhook-row").filter({ hasText: hook.url }).getByRole("link", { name: "Deliveries and settings" }).click();

  // Pause, then remove it: nothing more goes to the receiver.
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByTestId("webhook-state")).toHaveText("paused");
  await page.getByText("Remove…").click();
  await page.getByRole("button", { name: "Remove this webhook" }).click();
  await expect(page).toHaveURL(/\/admin\/webhooks$/);
  await expect(page.getByText(`The webhook to ${hook.url} is removed.`)).toBeVisible();
  hook.close();
});
