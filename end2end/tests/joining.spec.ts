import { expect, password, shot, signedUp, test, unique } from "./helpers";

/** An owner with a new organization, on its invitations tab. */
async function ownerWithOrganization(browser: Parameters<typeof signedUp>[0]) {
  const owner = await signedUp(browser, "Olga");
  const suffix = `${Date.now() % 1e8}${Math.floor(Math.random() * 1e3)}`;
  const name = `Cohort ${suffix}`;
  const slug = `cohort-${suffix}`;
  const created = await owner.page.request.post("/api/auth/organization/create", { data: { name, slug } });
  expect(created.status()).toBe(200);
  await owner.page.goto(`/orgs/${slug}/invitations`);
  return { owner, name, slug };
}

test("an owner shares a join link with its QR code; people join through it", async ({ browser }) => {
  const { owner, name, slug } = await ownerWithOrganization(browser);
  const form = owner.page.getByRole("form", { name: "Make a join link" });
  await form.getByLabel("Link name").fill("Spring cohort");
  await form.getByLabel("Most people who may join").fill("5");
  await form.getByRole("button", { name: "Make join link" }).click();

  // Shown once: the address, its QR code and a printable card.
  const created = owner.page.getByTestId("join-link-created");
  await expect(created).toContainText("“Spring cohort” is ready");
  const url = (await created.getByTestId("join-link-url").textContent())!.trim();
  expect(url).toMatch(/\/join\/[A-Za-z0-9_-]{43}$/);
  const qr = created.getByTestId("join-link-qr");
  await expect(qr).toBeVisible();
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const row = owner.page.getByTestId("join-link-row").filter({ hasText: "Spring cohort" });
  await expect(row.getByTestId("join-link-uses")).toHaveText("0 of 5 uses");
  await expect(row.getByTestId("join-link-status")).toHaveText("open");
  await shot(owner.page, "join-link-created");

  const card = await (await browser.newContext()).newPage();
  await card.goto(`${url}/qr`);
  await expect(card.getByTestId("qr-card")).toContainText(`Join ${name}`);
  await expect(card.getByTestId("qr-card-url")).toHaveText(url);
  const printed = card.getByRole("img", { name: "QR code of the link" });
  await expect.poll(() => printed.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await shot(card, "join-link-card");

  // Someone new opens it, creates an account and is in.
  const newcomer = await (await browser.newContext()).newPage();
  await newcomer.goto(url);
  await expect(newcomer.getByRole("heading", { name: `Join ${name}` })).toBeVisible();
  await expect(newcomer.getByTestId("join-link-for")).toHaveText("Anyone with this link");
  await shot(newcomer, "join-link-preview");
  await newcomer.getByRole("link", { name: "Create your account and join" }).click();
  await expect(newcomer).toHaveURL(/\/join\/[^/]+\/sign-up$/);
  await newcomer.getByLabel("Name").fill("Nia Newcomer");
  await newcomer.getByLabel("Email").fill(unique("nia"));
  await newcomer.getByLabel("Password").fill(password);
  await newcomer.getByRole("button", { name: "Create account and join" }).click();
  await expect(newcomer.getByTestId("joined")).toHaveText(`You joined ${name}`);

  // Someone with an account, signed in, joins with one click; a second
  // visit says they are in already.
  const existing = await signedUp(browser, "Eli");
  await existing.page.goto(url);
  await existing.page.getByRole("button", { name: `Join ${name}` }).click();
  await expect(existing.page.getByTestId("joined")).toHaveText(`You joined ${name}`);
  await existing.page.goto(url);
  await expect(existing.page.getByRole("heading", { name: `You are already in ${name}` })).toBeVisible();

  // The owner sees who used it, and revokes it: the link stops working.
  await owner.page.goto(`/orgs/${slug}/invitations`);
  await expect(row.getByTestId("join-link-uses")).toHaveText("2 of 5 uses");
  await row.getByText("Who joined (2)").click();
  await expect(row.getByTestId("join-link-used-by")).toContainText("Nia Newcomer");
  await shot(owner.page, "join-links-list");
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByTestId("join-link-status")).toHaveText("revoked");
  const late = await signedUp(browser, "Lou");
  await late.page.goto(url);
  await expect(late.page.getByRole("heading", { name: "This link can no longer be used" })).toBeVisible();
  await expect(late.page.getByText("This link was revoked.")).toBeVisible();
});

test("a pasted list of 100 people gets a result for each, and again changes nothing", async ({ browser }) => {
  const { owner, slug } = await ownerWithOrganization(browser);
  const run = `${Date.now() % 1e8}`;
  const lines = ["email,role"];
  for (let n = 0; n < 95; n++) lines.push(`p${n}-${run}@example.com,${n % 10 === 0 ? "admin" : "member"}`);
  lines.push("not an address", `p1-${run}@example.com`, `${owner.email},member`, `x-${run}@example.com,no-such-role`, "@example.com");
  expect(lines.length).toBe(101);

  const form = owner.page.getByRole("form", { name: "Invite from a list" });
  await form.getByLabel("People to invite").fill(lines.join("\n"));
  await form.getByRole("button", { name: "Invite everyone on the list" }).click();
  const results = form.getByTestId("bulk-results");
  await expect(results).toContainText("95 of 100 invited", { timeout: 30_000 });
  const count = (status: string) => form.locator(`[data-testid=bulk-row][data-status=${status}]`).count();
  expect(await count("invited")).toBe(95);
  expect(await count("invalid_email")).toBe(2);
  expect(await count("already_invited")).toBe(1);
  expect(await count("already_member")).toBe(1);
  expect(await count("role_not_allowed")).toBe(1);
  await shot(owner.page, "bulk-results");

  // The same list again: nothing new, and the table says why.
  await form.getByRole("button", { name: "Invite everyone on the list" }).click();
  await expect(results).toContainText("0 of 100 invited", { timeout: 30_000 });
  expect(await count("already_invited")).toBe(96);

  await form.getByRole("button", { name: "Done: show the invitations" }).click();
  await expect(owner.page).toHaveURL(`/orgs/${slug}/invitations`);
  await expect(owner.page.getByTestId("invitation-row").filter({ hasText: `p0-${run}@example.com` })).toBeVisible();
});

test("people ask to join through a link that needs approval; the owner answers from the members tab", async ({ browser }) => {
  const { owner, name, slug } = await ownerWithOrganization(browser);
  const form = owner.page.getByRole("form", { name: "Make a join link" });
  await form.getByLabel("Link name").fill("Front door");
  await form.getByLabel("An admin approves each person").check();
  await form.getByRole("button", { name: "Make join link" }).click();
  const url = (await owner.page.getByTestId("join-link-url").textContent())!.trim();
  await expect(owner.page.getByTestId("join-link-row").filter({ hasText: "Front door" })).toContainText("needs approval");

  const asker = await signedUp(browser, "Ana");
  await asker.page.goto(url);
  await asker.page.getByLabel("A word for them").fill("I run the Tuesday group.");
  await asker.page.getByRole("button", { name: `Ask to join ${name}` }).click();
  await expect(asker.page.getByTestId("join-request-pending")).toContainText(`You asked to join ${name}`);
  await shot(asker.page, "join-request-sent");

  await owner.page.goto(`/orgs/${slug}`);
  const request = owner.page.getByTestId("join-request").filter({ hasText: asker.email });
  await expect(request).toContainText("I run the Tuesday group.");
  await expect(request).toContainText("through “Front door”");
  await shot(owner.page, "join-requests-queue");
  await request.getByLabel("As").selectOption("admin");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(owner.page.getByTestId("join-request")).toHaveCount(0);
  const row = owner.page.getByTestId("member-row").filter({ hasText: asker.email });
  await expect(row).toContainText("admin");

  await asker.page.goto("/dashboard");
  await expect(asker.page.getByTestId("my-join-requests")).toContainText("approved");
  await expect(asker.page.getByTestId("organizations")).toContainText(name);
});
