import { expect, linkInEmailTo, password, shot, signedUp, test, unique } from "./helpers";

test("people join an organization from its emailed invitation", async ({ browser }) => {
  // An owner with an organization, who invites (the API, as an app would).
  const owner = await signedUp(browser, "Olga");
  const suffix = `${Date.now() % 1e8}`;
  const name = `Join Test ${suffix}`;
  const created = await owner.page.request.post("/api/auth/organization/create", {
    data: { name, slug: `join-test-${suffix}` },
  });
  expect(created.status()).toBe(200);
  const organizationId = (await created.json()).id;
  const invite = async (email: string, role: string) => {
    const res = await owner.page.request.post("/api/auth/organization/invite-member", {
      data: { email, role, organizationId },
    });
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()).id as string;
  };

  // Someone new opens the link, sees the preview, creates an account and
  // lands inside the organization.
  const newcomer = unique("newcomer");
  await invite(newcomer, "admin");
  const page = await (await browser.newContext()).newPage();
  const link = linkInEmailTo(newcomer);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: `Join ${name}` })).toBeVisible();
  await expect(page.getByTestId("invite-role")).toHaveText("admin");
  await expect(page.getByText("Olga invited you to join")).toBeVisible();
  await shot(page, "org-preview-sign-up");
  await page.getByRole("link", { name: "Create your account and join" }).click();
  await expect(page.getByLabel("Email")).toHaveValue(newcomer);
  await page.getByLabel("Name").fill("Nina Newcomer");
  await page.getByLabel("Password").fill(password);
  await shot(page, "org-sign-up");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/welcome\?joined=/);
  await expect(page.getByTestId("joined")).toHaveText(`You joined ${name}`);
  await expect(page.getByTestId("welcome-role")).toHaveText("admin");
  await shot(page, "org-welcome");
  await page.getByRole("link", { name: `Go to ${name}` }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  // The link is spent.
  await page.goto(link);
  await expect(page.getByText("This invitation was already accepted.")).toBeVisible();

  // Someone with an account, signed out, signs in from the preview, comes
  // back, confirms their address, and accepts.
  const member = await signedUp(browser, "Mo");
  await member.page.getByRole("button", { name: "Sign out" }).click();
  await expect(member.page).toHaveURL(/\/sign-in$/);
  await invite(member.email, "member");
  const memberLink = linkInEmailTo(member.email);
  await member.page.goto(memberLink);
  await member.page.getByRole("link", { name: "Sign in to accept" }).click();
  await member.page.getByLabel("Email").fill(member.email);
  await member.page.getByLabel("Password").fill(password);
  await member.page.getByRole("button", { name: "Sign in" }).click();
  await expect(member.page).toHaveURL(memberLink);
  await expect(member.page.getByText("Before you join, confirm that")).toBeVisible();
  await member.page.goto(linkInEmailTo(member.email, "verify-email"));
  await member.page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(member.page.getByText(`${member.email} is verified.`)).toBeVisible();
  await member.page.goto(memberLink);
  await shot(member.page, "org-preview-accept");
  await member.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(member.page).toHaveURL(/\/welcome\?joined=/);
  await expect(member.page.getByTestId("welcome-role")).toHaveText("member");

  // Someone else signed in is told the invitation is not theirs.
  const other = unique("other");
  await invite(other, "member");
  await member.page.goto(linkInEmailTo(other));
  await expect(member.page.getByText("This invitation was sent to another email address")).toBeVisible();
  await shot(member.page, "org-preview-switch-account");

  // A third, with a verified account, declines from their dashboard.
  const dee = await signedUp(browser, "Dee");
  await dee.page.goto(linkInEmailTo(dee.email, "verify-email"));
  await dee.page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(dee.page.getByText(`${dee.email} is verified.`)).toBeVisible();
  await invite(dee.email, "member");
  await dee.page.goto("/dashboard");
  const item = dee.page.getByTestId("inbox").getByRole("listitem").filter({ hasText: `Join ${name} as member` });
  await expect(item).toBeVisible();
  await shot(dee.page, "dashboard-inbox");
  await item.getByRole("button", { name: "Decline" }).click();
  await expect(item.getByRole("status")).toHaveText("You declined this invitation.");
  await dee.page.reload();
  await expect(dee.page.getByTestId("inbox")).toHaveCount(0);

  // A canceled invitation's link says so.
  const canceledEmail = unique("canceled");
  const canceledId = await invite(canceledEmail, "member");
  const canceledLink = linkInEmailTo(canceledEmail);
  const cancel = await owner.page.request.post("/api/auth/organization/cancel-invitation", {
    data: { invitationId: canceledId },
  });
  expect(cancel.status()).toBe(200);
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(canceledLink);
  await expect(stranger.getByText("This invitation was canceled.")).toBeVisible();
  await shot(stranger, "org-preview-canceled");
});
