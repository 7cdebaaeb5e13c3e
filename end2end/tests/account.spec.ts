import { expect, linkInEmailTo, password, shot, signedUp, test } from "./helpers";

test("the account page lists where a person is signed in; they sign the other devices out", async ({ browser }) => {
  const { page, email } = await signedUp(browser, "Ros");
  // The same person on a second device.
  const other = await (await browser.newContext()).newPage();
  await other.goto("/sign-in");
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(/\/dashboard$/);

  await page.getByRole("link", { name: "Account", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  const devices = page.getByTestId("device");
  await expect(devices).toHaveCount(2);
  await expect(devices.filter({ hasText: "This device" })).toHaveCount(1);
  await expect(devices.first()).toContainText("Chrome");
  await shot(page, "account");

  // A new name, then a new password; a wrong current one is refused.
  const profile = page.getByRole("form", { name: "Profile" });
  await profile.getByLabel("Name").fill("Rosalind");
  await profile.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toHaveText("Your name and picture are saved.");
  await expect(page.getByTestId("user-name")).toHaveText("Rosalind");
  const change = page.getByRole("form", { name: "Change password" });
  await change.getByLabel("Current password").fill("not it at all");
  await change.getByLabel("New password", { exact: true }).fill(`${password}!`);
  await change.getByLabel("New password, again").fill(`${password}!`);
  await change.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toHaveText("That is not your current password.");
  await change.getByLabel("Current password").fill(password);
  await change.getByLabel("New password", { exact: true }).fill(`${password}!`);
  await change.getByLabel("New password, again").fill(`${password}!`);
  await change.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toHaveText("Your password is changed.");

  // A new address, once its link is opened.
  const moved = email.replace("@", "+moved@");
  const address = page.getByRole("form", { name: "Email address" });
  await address.getByLabel("New email address").fill(moved);
  await address.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(page.getByRole("status")).toContainText("A link is on its way to the new address");
  await page.goto(linkInEmailTo(moved, "verify-email"));
  await page.getByRole("button", { name: "Confirm my email" }).click();
  // The form goes on to where the link was sent from.
  await expect(page).not.toHaveURL(/verify-email/);
  await page.goto("/account");
  await expect(page.getByRole("main")).toContainText(moved);

  await page.getByRole("button", { name: "Sign out everywhere else (1)" }).click();
  await expect(devices).toHaveCount(1);
  await expect(devices.first()).toContainText("This device");
  await other.goto("/dashboard");
  await expect(other).toHaveURL(/\/sign-in/);

  await page.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/sign-in\?redirectTo=(\/|%2F)account$/);
});
