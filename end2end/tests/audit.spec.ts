import { cliInvite, expect, shot, signUpFromInvitation, test, unique } from "./helpers";

test("an owner filters the audit log to one person's role changes and opens one", async ({ browser, baseURL }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(cliInvite(baseURL!, "--role", "owner"));
  await signUpFromInvitation(page, "Audra Owner", unique("audit-owner"));

  // Someone whose role changes twice.
  const email = unique("promoted");
  const created = await page.request.post("/api/auth/admin/create-user", {
    data: { email, name: "Pat Promoted", role: "user" },
  });
  expect(created.status(), await created.text()).toBe(200);
  const userId = (await created.json()).user.id;
  for (const role of ["moderator", "admin"]) {
    const res = await page.request.post("/api/auth/admin/set-role", { data: { userId, role } });
    expect(res.status()).toBe(200);
  }

  await page.goto("/dashboard");
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await page.getByLabel("What", { exact: true }).selectOption("action:user.set-role");
  await page.getByLabel("About", { exact: false }).fill(email);
  await page.getByRole("button", { name: "Filter" }).click();
  const events = page.getByTestId("audit-event");
  await expect(events).toHaveCount(2);
  await expect(page.getByText("2 events")).toBeVisible();
  await expect(events.first()).toContainText(`Pat Promoted (${email})`);
  await events.first().locator("summary").click();
  const role = events.first().getByTestId("audit-diff-line").filter({ hasText: "role" });
  await expect(role).toContainText("moderator");
  await expect(role).toContainText("admin");
  await shot(page, "audit-log");
  await expect(page.getByRole("link", { name: "Export as JSON Lines" })).toHaveAttribute("href", /action=user%2Eset%2Drole/);
});
