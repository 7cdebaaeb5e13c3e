import { cliInvite, expect, linkInEmailTo, shot, signUpFromInvitation, test, unique } from "./helpers";

test("an admin creates an account, its owner sets a password, then the admin changes the role", async ({ browser, baseURL }) => {
  // The admin arrives through an invitation made with `gatehouse invite`.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(cliInvite(baseURL!, "--role", "admin"));
  await signUpFromInvitation(admin, "Ada Admin", unique("admin"));
  await admin.getByRole("link", { name: "Continue" }).click();
  await admin.getByRole("link", { name: "Users" }).click();
  await expect(admin.getByRole("heading", { name: "Users" })).toBeVisible();

  const email = unique("staff");
  await admin.getByLabel("Name", { exact: true }).fill("Sam Staff");
  await admin.getByLabel("Email", { exact: true }).fill(email);
  await admin.getByLabel("Role", { exact: true }).selectOption("user");
  await admin.getByRole("button", { name: "Create account" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Account created for ${email}` })).toBeVisible();
  const row = admin.getByTestId("user-row").filter({ hasText: email });
  await expect(row).toContainText("enrollment pending");
  await shot(admin, "admin-users");

  // The person opens the link from the queued email and chooses a password.
  const person = await (await browser.newContext()).newPage();
  await person.goto(linkInEmailTo(email, "enroll"));
  await expect(person.getByTestId("enroll-email")).toHaveText(email);
  await expect(person.getByTestId("enroll-name")).toHaveText("Sam Staff");
  await person.getByLabel("Password", { exact: true }).fill("my own long passphrase");
  await person.getByLabel("Password again").fill("not the same");
  await person.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(person.getByText("The two passwords are not the same.")).toBeVisible();
  await person.getByLabel("Password again").fill("my own long passphrase");
  await shot(person, "enroll");
  await person.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(person).toHaveURL(/\/dashboard$/);
  await expect(person.getByRole("heading", { name: "Hello, Sam Staff" })).toBeVisible();
  await expect(person.getByTestId("role")).toHaveText("user");

  // The admin makes them a moderator; their dashboard shows it.
  await admin.reload();
  const fresh = admin.getByTestId("user-row").filter({ hasText: email });
  await expect(fresh).not.toContainText("enrollment pending");
  await fresh.getByLabel(`Role of ${email}`).selectOption("moderator");
  await fresh.getByRole("button", { name: "Change role" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Sam Staff is now moderator." })).toBeVisible();
  await person.reload();
  await expect(person.getByTestId("role")).toHaveText("moderator");
});
