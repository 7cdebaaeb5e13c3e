import { expect, password, qrText, shot, signedUp, test, totpCode } from "./helpers";

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

  // This browser is trusted: the password is enough here for 30 days.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});
