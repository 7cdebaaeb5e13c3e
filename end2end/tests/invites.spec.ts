import { cliInvite, expect, linkInEmailTo, password, shot, signUpFromInvitation, test, unique, type Browser, type Page } from "./helpers";

/** A new owner, arrived through a setup link from `gatehouse invite`. */
async function ownerPage(browser: Browser, baseURL: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(cliInvite(baseURL, "--role", "owner"));
  await expect(page.getByRole("heading", { name: "You're invited to Gatehouse" })).toBeVisible();
  await expect(page.getByTestId("invite-role")).toHaveText("owner");
  await shot(page, "preview-sign-up");
  await signUpFromInvitation(page, "Olive Owner", unique("owner"));
  await expect(page.getByTestId("welcome-role")).toHaveText("owner");
  await page.getByRole("link", { name: "Invitations" }).click();
  await expect(page.getByRole("heading", { name: "Invitations" })).toBeVisible();
  return page;
}

test("the owner arrives through the setup link and invites a moderator by email", async ({ browser, baseURL }) => {
  const owner = await ownerPage(browser, baseURL!);
  const invitee = unique("mod");

  await owner.getByLabel("Email addresses").fill(invitee);
  await owner.getByRole("radio", { name: /moderator/ }).check();
  await shot(owner, "invite-form");
  await owner.getByRole("button", { name: "Create invitation" }).click();
  await expect(owner.getByRole("status", { name: "Invitation created" })).toContainText(invitee);
  await expect(owner.getByTestId("invite-row").first()).toContainText(invitee);
  await shot(owner, "invite-list");

  // The link is the invitee's: the owner, signed in, is told so and offered
  // to sign out rather than being let in under the wrong account.
  const link = linkInEmailTo(invitee);
  await owner.goto(link);
  await expect(owner.getByText("This invitation was sent to another email address, and you are signed in as")).toBeVisible();
  await expect(owner.getByText(invitee)).toHaveCount(0);
  await expect(owner.getByRole("button", { name: "Sign out and continue" })).toBeVisible();
  await shot(owner, "preview-switch-account");

  // The invitee, in a browser of their own, follows the emailed link.
  const page = await (await browser.newContext()).newPage();
  await page.goto(link);
  await expect(page.getByTestId("invite-role")).toHaveText("moderator");
  await expect(page.getByText("Olive Owner invited you to join as")).toBeVisible();
  await page.getByRole("link", { name: "Create your account" }).click();
  await expect(page.getByLabel("Email")).toHaveValue(invitee);
  await expect(page.getByLabel("Email")).toHaveAttribute("readonly", "");
  await page.getByLabel("Name").fill("Mo Derator");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/welcome/);
  await expect(page.getByTestId("welcome-role")).toHaveText("moderator");
  await shot(page, "welcome");
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page.getByTestId("role")).toHaveText("moderator");
});

test("an existing user signs in from an admin invitation and is upgraded", async ({ browser, baseURL }) => {
  const owner = await ownerPage(browser, baseURL!);
  const email = unique("user");

  // Someone with an ordinary account (open sign-up on this test server).
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Ursula User");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("role")).toHaveText("user");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  await owner.getByLabel("Email addresses").fill(email);
  await owner.getByRole("radio", { name: /admin/ }).check();
  await owner.getByRole("button", { name: "Create invitation" }).click();
  await expect(owner.getByRole("status", { name: "Invitation created" })).toContainText(email);

  const link = linkInEmailTo(email);
  await page.goto(link);
  await expect(page.getByText("There is already an account for")).toBeVisible();
  await shot(page, "preview-sign-in");
  await page.getByRole("link", { name: "Sign in to accept" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();

  // Back on the invitation, signed in. Open sign-up proved no mailbox,
  // but the invitation's link came to it: no second email is asked for,
  // and accepting marks the address verified.
  await expect(page).toHaveURL(link);
  await expect(page.getByText("Before this invitation can change your account, confirm that")).toHaveCount(0);
  await shot(page, "preview-accept");
  await page.getByRole("button", { name: "Accept and become admin" }).click();
  await expect(page).toHaveURL(/\/welcome/);
  await expect(page.getByTestId("welcome-role")).toHaveText("admin");
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page.getByTestId("role")).toHaveText("admin");
  const session = await (await page.request.get("/api/auth/get-session")).json();
  expect(session.user.emailVerified).toBe(true);

  // Opened again, the invitation says it has been used.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This invitation can no longer be used" })).toBeVisible();
  await shot(page, "preview-used");
});

test("a public code with max uses 2 works twice and then refuses", async ({ browser, baseURL }) => {
  const owner = await ownerPage(browser, baseURL!);
  await owner.getByRole("radio", { name: /moderator/ }).check();
  await owner.getByRole("radio", { name: "8-character code" }).check();
  await owner.getByLabel("Max uses").fill("2");
  await owner.getByRole("button", { name: "Create invitation" }).click();
  const code = (await owner.getByTestId("invite-code").textContent())!.trim();
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  // A shareable invitation comes with its QR code, drawn by the server.
  const qr = owner.getByTestId("invite-qr");
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await shot(owner, "invite-created-code");

  // The owner outranks the role on offer: the code would change nothing.
  await owner.goto("/invite");
  await owner.getByLabel("Invitation code").fill(code);
  await owner.getByRole("button", { name: "Continue" }).click();
  await expect(owner.getByRole("heading", { name: "You already have this access" })).toBeVisible();
  await expect(owner.getByText("You are owner, which already ranks at or above moderator. You keep your role.")).toBeVisible();
  await shot(owner, "preview-already-has-role");

  for (const who of ["first", "second"]) {
    const page = await (await browser.newContext()).newPage();
    await page.goto("/invite");
    await page.getByLabel("Invitation code").fill(code.toLowerCase());
    if (who === "first") await shot(page, "code-form");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByTestId("invite-role")).toHaveText("moderator");
    await signUpFromInvitation(page, `Person ${who}`, unique(who));
    await expect(page.getByTestId("welcome-role")).toHaveText("moderator");
  }

  const third = await (await browser.newContext()).newPage();
  await third.goto("/invite");
  await third.getByLabel("Invitation code").fill(code);
  await third.getByRole("button", { name: "Continue" }).click();
  await expect(third.getByRole("heading", { name: "This invitation can't be opened" })).toBeVisible();
  await expect(third.getByText("This invitation link or code is not valid.")).toBeVisible();
  await shot(third, "preview-invalid");
});
