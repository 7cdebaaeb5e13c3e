import { cliInvite, expect, linkInEmailTo, password, shot, signedUp, signUpFromInvitation, test, unique } from "./helpers";

test("an admin bans with a reason, acts as a person with the banner on every page, and stops", async ({ browser, baseURL }) => {
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(cliInvite(baseURL!, "--role", "admin"));
  await signUpFromInvitation(admin, "Ada Admin", unique("admin"));
  const { page: kim, email } = await signedUp(browser, "Kim");

  await admin.goto(`/admin/users?search=${encodeURIComponent(email)}`);
  const row = admin.getByTestId("user-row").filter({ hasText: email });
  await row.getByText("More for Kim").click();
  await shot(admin, "admin-user-manage");

  // A ban with a reason: Kim is signed out, and told why at sign-in.
  const ban = row.getByRole("form", { name: `Ban ${email}` });
  await ban.getByLabel("Reason").fill("Posting spam");
  await ban.getByLabel("For").selectOption({ label: "7 days" });
  await ban.getByRole("button", { name: "Ban and sign out" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "The account is disabled" })).toBeVisible();
  await expect(admin.getByTestId("user-row").filter({ hasText: email }).getByTestId("ban")).toContainText("Posting spam");
  await kim.goto("/dashboard");
  await expect(kim).toHaveURL(/\/sign-in/);
  await kim.getByLabel("Email").fill(email);
  await kim.getByLabel("Password").fill(password);
  await kim.getByRole("button", { name: "Sign in" }).click();
  await expect(kim.getByText(/This account has been disabled until .*Reason: Posting spam/)).toBeVisible();

  // Enabled again; then the admin acts as Kim, with a reason.
  await admin.getByTestId("user-row").filter({ hasText: email }).getByRole("button", { name: "Enable" }).click();
  await expect(admin.getByText(`Kim is enabled again.`)).toBeVisible();

  // Where Kim is signed in, and signing that device out from afar.
  await kim.goto("/sign-in");
  await kim.getByLabel("Email").fill(email);
  await kim.getByLabel("Password").fill(password);
  await kim.getByRole("button", { name: "Sign in" }).click();
  await expect(kim).toHaveURL(/\/dashboard$/);
  await admin.reload();
  const listed = admin.getByTestId("user-row").filter({ hasText: email });
  await listed.getByText("More for Kim").click();
  await listed.getByRole("link", { name: "Where they are signed in" }).click();
  await expect(admin).toHaveURL(/\/admin\/users\/[^/]+\/sessions$/);
  await expect(admin.getByRole("heading", { name: "Where Kim is signed in" })).toBeVisible();
  await expect(admin.getByTestId("session")).toHaveCount(1);
  await shot(admin, "admin-user-sessions");
  await admin.getByTestId("session").getByRole("button", { name: /^Sign out / }).click();
  await expect(admin.getByText("They are not signed in anywhere.")).toBeVisible();
  await kim.goto("/dashboard");
  await expect(kim).toHaveURL(/\/sign-in/);

  await admin.goto(`/admin/users?search=${encodeURIComponent(email)}`);
  const again = admin.getByTestId("user-row").filter({ hasText: email });
  await again.getByText("More for Kim").click();
  const act = again.getByRole("form", { name: `Act as ${email}` });
  await act.getByLabel("Act as them, for support: why?").fill("Ticket 12: cannot find the invitation");
  await act.getByRole("button", { name: "Act as them" }).click();
  await expect(admin).toHaveURL(/\/dashboard$/);
  const banner = admin.getByTestId("impersonation-banner");
  await expect(banner).toContainText(`You are acting as Kim (${email})`);
  await expect(admin.getByRole("heading", { name: "Hello, Kim" })).toBeVisible();
  await shot(admin, "impersonating");
  // A change made meanwhile is the person's, acted for by the admin.
  await admin.goto("/account");
  await expect(banner).toBeVisible();
  const profile = admin.getByRole("form", { name: "Profile" });
  await profile.getByLabel("Name").fill("Kim Kay");
  await profile.getByRole("button", { name: "Save profile" }).click();
  await expect(admin.getByText("Your name and picture are saved.")).toBeVisible();

  await banner.getByRole("button", { name: "Stop acting as them" }).click();
  await expect(admin).toHaveURL(/\/admin\/users$/);
  await expect(admin.getByTestId("impersonation-banner")).toHaveCount(0);
  await expect(admin.getByTestId("user-name")).toHaveText("Ada Admin");

  // The audit log has the start and the stop, with the reason.
  await admin.goto("/admin/audit");
  const shown = admin.getByTestId("audit-event");
  await expect(shown.filter({ has: admin.getByTestId("audit-action").getByText("user.impersonate", { exact: true }) }).first()).toContainText("Ada Admin");
  await expect(shown.filter({ hasText: "user.impersonate-stop" }).first()).toBeVisible();
  const changed = shown.filter({ has: admin.getByTestId("audit-action").getByText("user.update", { exact: true }) }).first();
  await expect(changed.getByTestId("audit-impersonator")).toContainText("Ada Admin");
  await expect(changed).toContainText("acting as Kim Kay");
  await expect(shown.filter({ hasText: "user.impersonate-stop" }).getByTestId("audit-impersonator")).toHaveCount(0);
  await shot(admin, "audit-impersonated");
});

test("a person deletes their account: the password, the emailed link, and a last confirmation", async ({ browser }) => {
  const { page, email } = await signedUp(browser, "Lee");
  await page.goto("/account");
  const form = page.getByRole("form", { name: "Delete account" });
  await form.getByLabel("Your password").fill("not it at all");
  await form.getByRole("button", { name: "Delete my account" }).click();
  await expect(page.getByRole("alert")).toHaveText("That is not your current password.");
  await form.getByLabel("Your password").fill(password);
  await form.getByRole("button", { name: "Delete my account" }).click();
  await expect(page.getByRole("status")).toContainText("your account is deleted once you open it and confirm");

  await page.goto(linkInEmailTo(email, "account/delete"));
  await shot(page, "account-delete");
  await page.getByRole("button", { name: "Delete my account for good" }).click();
  await expect(page.getByText("Your account is deleted.")).toBeVisible();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Invalid email or password")).toBeVisible();
});
