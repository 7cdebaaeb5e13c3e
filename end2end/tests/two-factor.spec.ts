import { expect, linkInEmailTo, password, qrText, shot, signedUp, test, totpCode, type Page } from "./helpers";

test("a person turns on two-factor authentication by scanning the QR code, then signs in with a code", async ({ browser }) => {
  const { page, email } = await signedUp(browser, "Tess");
  await page.goto("/account");
  const on = page.getByRole("form", { name: "Turn on two-factor authentication" });
  await on.getByLabel("Your password").fill(password);
  await on.getByRole("button", { name: "Set up two-factor authentication" }).click();

  // The QR code, read as a phone's camera would, and ten backup codes.
  const uri = await qrText(page.getByTestId("totp-qr"));
  expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
  await expect(page.getByTestId("backup-codes").getByRole("listitem")).toHaveCount(10);
  const codes = page.getByTestId("backup-codes").getByRole("listitem");
  const backup = (await codes.nth(0).textContent())!.trim();
  const another = (await codes.nth(1).textContent())!.trim();
  await shot(page, "two-factor-setup");
  const confirm = page.getByRole("form", { name: "Confirm two-factor authentication" });
  await confirm.getByLabel("3. The code your app shows now").fill("000000" === totpCode(uri) ? "111111" : "000000");
  await confirm.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("That code is not right.")).toBeVisible();
  await confirm.getByLabel("3. The code your app shows now").fill(totpCode(uri));
  await confirm.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("Two-factor authentication is on: signing in now asks for a code")).toBeVisible();
  await expect(page.locator("#two-factor")).toContainText("Backup codes left: 10");

  // Signing in now asks for a code; the next one from the app.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/sign-in\/two-factor/);
  await shot(page, "two-factor-sign-in");
  const step = page.getByRole("form", { name: "Code from your app" });
  await step.getByLabel("Code").fill(totpCode(uri, 1));
  await step.getByLabel("Trust this device for 30 days").check();
  await step.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Hello, Tess" })).toBeVisible();

  // Another browser has no trusted device: a backup code does, once.
  const other = await (await browser.newContext()).newPage();
  await other.goto("/sign-in");
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(/\/sign-in\/two-factor/);
  await other.getByText("Use a backup code instead").click();
  const withBackup = other.getByRole("form", { name: "Backup code" });
  await withBackup.getByLabel("Backup code").fill(backup);
  await withBackup.getByRole("button", { name: "Use backup code" }).click();
  await expect(other).toHaveURL(/\/dashboard$/);

  // Without JavaScript the same: the plain forms post and redirect.
  const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await plain.goto("/sign-in?redirectTo=/account");
  await plain.getByLabel("Email").fill(email);
  await plain.getByLabel("Password").fill(password);
  await plain.getByRole("button", { name: "Sign in" }).click();
  await expect(plain).toHaveURL(/\/sign-in\/two-factor\?redirectTo=(%2F|\/)account$/);
  await plain.getByText("Use a backup code instead").click();
  await plain.getByRole("form", { name: "Backup code" }).getByLabel("Backup code").fill(backup);
  await plain.getByRole("form", { name: "Backup code" }).getByRole("button", { name: "Use backup code" }).click();
  await expect(plain.getByRole("alert")).toContainText("That backup code is not right, or was used already");
  // The backup code's form stays open after its error.
  await plain.getByRole("form", { name: "Backup code" }).getByLabel("Backup code").fill(another);
  await plain.getByRole("form", { name: "Backup code" }).getByRole("button", { name: "Use backup code" }).click();
  await expect(plain).toHaveURL(/\/account$/);
  await expect(plain.locator("#two-factor")).toContainText("Backup codes left: 8");
  // Running low: ten new ones, shown until saved; the old ones stop working.
  const renew = plain.getByRole("form", { name: "New backup codes" });
  await renew.getByLabel("Your password").fill(password);
  await renew.getByRole("button", { name: "Get new backup codes" }).click();
  await expect(plain.getByTestId("new-backup-codes").getByRole("listitem")).toHaveCount(10);
  await expect(plain.locator("#two-factor")).toContainText("Backup codes left: 10");
  await shot(plain, "two-factor-new-backup-codes");
  await plain.getByRole("button", { name: "I have saved them" }).click();
  await expect(plain.getByTestId("new-backup-codes")).toHaveCount(0);

  // This browser is trusted: the password is enough here for 30 days.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

/** Turns on two-factor authentication from `/account`, as a person would: the QR code, then its first code. */
async function turnOnTwoFactor(page: Page) {
  await page.goto("/account#two-factor");
  const on = page.getByRole("form", { name: "Turn on two-factor authentication" });
  await on.getByLabel("Your password").fill(password);
  await on.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const uri = await qrText(page.getByTestId("totp-qr"));
  const confirm = page.getByRole("form", { name: "Confirm two-factor authentication" });
  await confirm.getByLabel("3. The code your app shows now").fill(totpCode(uri));
  await confirm.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("Two-factor authentication is on: signing in now asks for a code")).toBeVisible();
}

test("an owner requires two-factor authentication; a member without it is told what to do, turns it on, and is let in", async ({ browser }) => {
  const owner = await signedUp(browser, "Orla");
  const max = await signedUp(browser, "Max");
  const slug = `vault-${Date.now() % 1e8}`;
  const created = await owner.page.request.post("/api/auth/organization/create", { data: { name: "Vault Works", slug } });
  expect(created.ok(), await created.text()).toBeTruthy();
  const organizationId = (await created.json()).id;
  const invited = await owner.page.request.post("/api/auth/organization/invite-member", { data: { email: max.email, role: "member", organizationId } });
  expect(invited.ok(), await invited.text()).toBeTruthy();
  await max.page.goto(linkInEmailTo(max.email));
  await max.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(max.page).toHaveURL(/\/welcome\?joined=/);

  // Before turning it on, the owner sees who does not use it, and must use it first.
  await owner.page.goto(`/orgs/${slug}/settings`);
  const policy = owner.page.getByRole("region", { name: "Two-factor authentication" });
  await expect(policy.getByTestId("without-two-factor")).toContainText("2 members do not use two-factor authentication yet");
  await expect(policy.getByTestId("without-two-factor")).toContainText(max.email);
  await expect(policy.getByRole("link", { name: "turn on two-factor authentication for your own account" })).toBeVisible();
  await turnOnTwoFactor(owner.page);
  await owner.page.goto(`/orgs/${slug}/settings`);
  await expect(policy.getByTestId("without-two-factor")).toContainText("1 member does not use two-factor authentication yet");
  await expect(policy.getByTestId("without-two-factor")).not.toContainText(owner.email);
  await shot(owner.page, "organization-two-factor-policy");
  await policy.getByRole("button", { name: "Require two-factor authentication" }).click();
  await expect(owner.page.getByText("Settings saved.")).toBeVisible();
  await expect(policy).toContainText("Members must use two-factor authentication.");
  await expect(policy.getByTestId("without-two-factor")).toContainText("and cannot act here");

  // Max is held back, and every page says where to go.
  await max.page.goto(`/orgs/${slug}`);
  await expect(max.page.getByRole("heading", { name: "Two-factor authentication required" })).toBeVisible();
  await expect(max.page.getByTestId("two-factor-banner")).toContainText("Vault Works");
  await shot(max.page, "organization-two-factor-required");
  await max.page.goto("/dashboard");
  await expect(max.page.getByTestId("organizations").getByRole("link", { name: "Needs two-factor" })).toBeVisible();
  await max.page.goto(`/orgs/${slug}`);
  await max.page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await expect(max.page).toHaveURL(/\/account#two-factor$/);
  await turnOnTwoFactor(max.page);

  // Then Max is in, and the owner's list is empty.
  await max.page.goto(`/orgs/${slug}`);
  await expect(max.page.getByRole("heading", { name: "Vault Works" })).toBeVisible();
  await expect(max.page.getByTestId("two-factor-banner")).toHaveCount(0);
  await owner.page.goto(`/orgs/${slug}/settings`);
  await expect(policy).toContainText("Every member uses two-factor authentication.");
  await policy.getByRole("button", { name: "Stop requiring two-factor" }).click();
  await expect(policy).toContainText("Require every member to use two-factor authentication.");
});
