import { expect, linkInEmailTo, password, shot, signedUp, test, unique } from "./helpers";

test("an owner makes a custom role, invites with it, and runs a team", async ({ browser }) => {
  const owner = await signedUp(browser, "Rosa");
  const suffix = `${Date.now() % 1e8}`;
  const name = `Roles Test ${suffix}`;
  const slug = `roles-test-${suffix}`;
  const created = await owner.page.request.post("/api/auth/organization/create", { data: { name, slug } });
  expect(created.status()).toBe(200);

  // The roles tab: a custom role "billing" with two permissions.
  await owner.page.goto(`/orgs/${slug}`);
  await owner.page.getByRole("navigation", { name: "Organization" }).getByRole("link", { name: "Roles" }).click();
  await expect(owner.page.getByRole("heading", { name: "Built-in roles" })).toBeVisible();
  const form = owner.page.getByRole("form", { name: "New role" });
  await form.getByLabel("Name").fill("billing");
  await form.getByRole("checkbox", { name: "invitation:create" }).check();
  await form.getByRole("checkbox", { name: "team:create" }).check();
  await shot(owner.page, "roles-tab-new");
  await form.getByRole("button", { name: "Create role" }).click();
  const billing = owner.page.getByRole("form", { name: "billing" });
  await expect(billing.getByRole("checkbox", { name: "invitation:create" })).toBeChecked();
  await expect(billing.getByRole("checkbox", { name: "team:create" })).toBeChecked();
  await expect(billing.getByRole("checkbox", { name: "member:delete" })).not.toBeChecked();
  await shot(owner.page, "roles-tab");

  // Invited with it from the invitations tab.
  const biller = unique("biller");
  await owner.page.getByRole("navigation", { name: "Organization" }).getByRole("link", { name: "Invitations" }).click();
  await owner.page.getByLabel("Email addresses").fill(biller);
  await owner.page.getByRole("checkbox", { name: "billing" }).check();
  await owner.page.getByRole("checkbox", { name: "member", exact: true }).uncheck();
  await owner.page.getByRole("button", { name: "Send invitations" }).click();
  await expect(owner.page.getByTestId("invitations-sent")).toContainText(biller);

  // The new person joins and sees only what the role allows.
  const page = await (await browser.newContext()).newPage();
  await page.goto(linkInEmailTo(biller));
  await page.getByRole("link", { name: "Create your account and join" }).click();
  await page.getByLabel("Name").fill("Bill Biller");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page.getByTestId("welcome-role")).toHaveText("billing");
  await expect(page.getByText("Invite people")).toBeVisible();
  await expect(page.getByText("Create teams")).toBeVisible();
  await expect(page.getByText("Remove members")).toHaveCount(0);
  await shot(page, "custom-role-welcome");
  await page.goto(`/orgs/${slug}`);
  const tabs = page.getByRole("navigation", { name: "Organization" });
  await expect(tabs.getByRole("link", { name: "Invitations" })).toBeVisible();
  await expect(tabs.getByRole("link", { name: "Teams" })).toBeVisible();
  await expect(tabs.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await expect(tabs.getByRole("link", { name: "Roles" })).toHaveCount(0);
  await expect(page.getByText("Change roles")).toHaveCount(0);
  await tabs.getByRole("link", { name: "Invitations" }).click();
  await expect(page.getByRole("button", { name: "Send invitations" })).toBeVisible();
  // Inviting, but not canceling.
  await expect(page.getByTestId("invitation-row").getByRole("button", { name: "Cancel" })).toHaveCount(0);
  await shot(page, "custom-role-invitations");

  // The owner creates a team and adds the new member.
  await owner.page.goto(`/orgs/${slug}/teams`);
  await owner.page.getByLabel("Team name").fill("Finance");
  await owner.page.getByRole("button", { name: "Create team" }).click();
  const team = owner.page.getByTestId("team").filter({ hasText: "Finance" });
  await team.getByLabel("Member to add").selectOption({ label: `Bill Biller (${biller})` });
  await team.getByRole("button", { name: "Add to team" }).click();
  await expect(owner.page.getByTestId("team").filter({ hasText: "Finance" }).getByTestId("team-member")).toContainText(biller);
  await shot(owner.page, "teams-tab");

  // The member makes it their active team; the header says so.
  await page.goto(`/orgs/${slug}/teams`);
  const mine = page.getByTestId("team").filter({ hasText: "Finance" });
  await mine.getByRole("button", { name: "Make active" }).click();
  await expect(page.getByTestId("team").filter({ hasText: "Finance" }).getByTestId("active-team")).toBeVisible();
  await expect(page.getByTestId("header-team")).toContainText("Finance");
  await shot(page, "teams-tab-member");
});
