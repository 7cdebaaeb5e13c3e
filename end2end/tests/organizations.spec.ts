import { cliInvite, expect, shot, signUpFromInvitation, signedUp, test, unique, type Page } from "./helpers";

test("an organization from creation to deletion: members, roles, leaving", async ({ browser, baseURL }) => {
  // The instance admin arrives through `gatehouse invite`.
  const owner = await (await browser.newContext()).newPage();
  await owner.goto(cliInvite(baseURL!, "--role", "admin"));
  await signUpFromInvitation(owner, "Olga Owner", unique("owner"));
  await owner.goto("/dashboard");
  await expect(owner.getByText("You are not in any organization yet.")).toBeVisible();
  await shot(owner, "dashboard-no-organizations");

  // Create: the slug follows the name and is checked while typing.
  await owner.getByRole("link", { name: "New organization" }).click();
  await expect(owner).toHaveURL(/\/orgs\/new$/);
  const suffix = `${Date.now() % 1e8}`;
  const name = `Acme Labs ${suffix}`;
  const slug = `acme-labs-${suffix}`;
  await owner.getByLabel("Name").fill(name);
  await expect(owner.getByLabel("Slug")).toHaveValue(slug);
  await expect(owner.getByTestId("slug-status")).toHaveText(`✓ ${slug} is available`);
  await owner.getByLabel("Slug").fill("Not A Slug");
  await expect(owner.getByTestId("slug-status")).toContainText("contains `N`");
  await owner.getByLabel("Slug").fill(slug);
  await expect(owner.getByTestId("slug-status")).toHaveText(`✓ ${slug} is available`);
  await shot(owner, "orgs-new");
  await owner.getByRole("button", { name: "Create organization" }).click();
  await expect(owner).toHaveURL(new RegExp(`/orgs/${slug}$`));
  await expect(owner.getByRole("heading", { name })).toBeVisible();

  // The switcher and the dashboard know it.
  const switcher = owner.getByTestId("organization-switcher");
  await expect(switcher.locator("summary")).toContainText(name);
  await owner.goto("/dashboard");
  const listed = owner.getByTestId("organizations").getByRole("listitem").filter({ hasText: name });
  await expect(listed.getByTestId("member-role")).toHaveText("owner");
  await shot(owner, "dashboard-organizations");
  await switcher.locator("summary").click();
  await shot(owner, "organization-switcher");
  // Choosing one posts (a GET never changes the active organization).
  await switcher.getByRole("button", { name: new RegExp(name) }).click();
  await expect(owner).toHaveURL(new RegExp(`/orgs/${slug}$`));

  // The instance admin adds two existing accounts.
  const bob = await signedUp(browser, "Bob");
  const cy = await signedUp(browser, "Cy");
  for (const email of [bob.email, cy.email]) {
    await owner.getByLabel("Email").fill(email);
    await owner.getByLabel("Role", { exact: true }).selectOption("member");
    await owner.getByRole("button", { name: "Add member" }).click();
    await expect(owner.getByRole("status").filter({ hasText: `${email} is now a member.` })).toBeVisible();
  }
  await expect(owner.getByTestId("member-row")).toHaveCount(3);

  // The owner makes Bob an admin.
  const bobRow = owner.getByTestId("member-row").filter({ hasText: bob.email });
  await bobRow.getByText("Change roles").click();
  await bobRow.getByLabel("admin").check();
  await bobRow.getByLabel("member").uncheck();
  await shot(owner, "organization-members");
  await bobRow.getByRole("button", { name: "Save roles" }).click();
  await expect(bobRow.getByRole("status")).toHaveText("Bob is now admin.");
  await expect(bobRow.getByTestId("member-role")).toHaveText("admin");

  // Bob, an admin, may remove Cy but not the owner: the page offers no
  // such button, and the API refuses it too.
  await bob.page.goto(`/orgs/${slug}`);
  const ownerRow = bob.page.getByTestId("member-row").filter({ hasText: "Olga Owner" });
  await expect(ownerRow.getByTestId("member-role")).toHaveText("owner");
  await expect(bob.page.getByTestId("member-row").filter({ hasText: cy.email }).getByText("Remove", { exact: true })).toBeVisible();
  await expect(ownerRow.locator("form")).toHaveCount(0);
  const refused = await bob.page.request.post("/api/auth/organization/remove-member", {
    data: { memberIdOrEmail: await ownerEmail(owner), organizationId: slug },
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).code).toBe("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER");
  await expect(bob.page.getByRole("link", { name: "Settings" })).toBeVisible();

  // Cy, a member, leaves.
  await cy.page.goto(`/orgs/${slug}`);
  await expect(cy.page.getByRole("link", { name: "Settings" })).toHaveCount(0);
  const cyRow = cy.page.getByTestId("member-row").filter({ hasText: cy.email });
  await cyRow.getByText("Leave organization").click();
  await cyRow.getByRole("button", { name: "Yes, leave" }).click();
  await expect(cy.page).toHaveURL(/\/dashboard$/);
  await expect(cy.page.getByText("You are not in any organization yet.")).toBeVisible();
  await cy.page.goto(`/orgs/${slug}`);
  await expect(cy.page.getByRole("heading", { name: "Page not found" })).toBeVisible();

  // The owner deletes it, after typing its slug.
  await owner.goto(`/orgs/${slug}`);
  await expect(owner.getByTestId("member-row")).toHaveCount(2);
  await owner.getByRole("link", { name: "Settings" }).click();
  await expect(owner).toHaveURL(new RegExp(`/orgs/${slug}/settings$`));
  // Not without the slug typed out: the browser holds the form back.
  const remove = owner.getByRole("button", { name: "Delete this organization" });
  const confirm = owner.getByLabel(`Type ${slug} to confirm`);
  await remove.click();
  await owner.getByLabel(`Type ${slug} to confirm`).fill("acme");
  await remove.click();
  expect(await confirm.evaluate((input: HTMLInputElement) => input.validity.valid)).toBe(false);
  await expect(owner).toHaveURL(new RegExp(`/orgs/${slug}/settings$`));
  await confirm.fill(slug);
  await shot(owner, "organization-settings");
  await remove.click();
  await expect(owner).toHaveURL(/\/dashboard$/);
  await expect(owner.getByText(name)).toHaveCount(0);
  await bob.page.goto(`/orgs/${slug}`);
  await expect(bob.page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

/** The owner's email, as the dashboard shows it. */
async function ownerEmail(owner: Page): Promise<string> {
  const page = await owner.context().newPage();
  await page.goto("/dashboard");
  const email = (await page.getByTestId("email").textContent())!;
  await page.close();
  return email;
}
