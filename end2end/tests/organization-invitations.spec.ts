import { expect, linkInEmailTo, password, shot, signedUp, test, unique } from "./helpers";

test("people join an organization from its emailed invitation", async ({ browser }) => {
  // An owner with an organization; someone with an account, signed out.
  const owner = await signedUp(browser, "Olga");
  const suffix = `${Date.now() % 1e8}`;
  const name = `Join Test ${suffix}`;
  const slug = `join-test-${suffix}`;
  const created = await owner.page.request.post("/api/auth/organization/create", {
    data: { name, slug },
  });
  expect(created.status()).toBe(200);
  const organizationId = (await created.json()).id;
  const member = await signedUp(browser, "Mo");
  await member.page.getByRole("button", { name: "Sign out" }).click();
  await expect(member.page).toHaveURL(/\/sign-in$/);

  // The owner invites both from the invitations tab, as admins.
  const newcomer = unique("newcomer");
  await owner.page.goto(`/orgs/${slug}`);
  await owner.page.getByRole("link", { name: "Invitations" }).click();
  await expect(owner.page).toHaveURL(`/orgs/${slug}/invitations`);
  await owner.page.getByLabel("Email addresses").fill(`${newcomer}, ${member.email}`);
  const inviteForm = owner.page.getByRole("form", { name: "Invite people" });
  await inviteForm.getByRole("checkbox", { name: "admin" }).check();
  await inviteForm.getByRole("checkbox", { name: "member" }).uncheck();
  // A new organization's first team is named after it.
  await inviteForm.getByLabel("Team").selectOption({ label: name });
  await owner.page.getByRole("button", { name: "Send invitations" }).click();
  await expect(owner.page.getByTestId("invitations-sent")).toContainText(`Invitation sent to ${newcomer}, ${member.email}.`);
  for (const email of [newcomer, member.email]) {
    const row = owner.page.getByTestId("invitation-row").filter({ hasText: email });
    await expect(row.getByTestId("invitation-status")).toHaveText("pending");
    await expect(row.getByTestId("member-role")).toHaveText("admin");
    await expect(row.getByTestId("invitation-team")).toHaveText(`→ team ${name}`);
  }
  await shot(owner.page, "org-invitations-tab");
  // Sending to someone already invited says so, and sends nothing.
  await owner.page.getByLabel("Email addresses").fill(newcomer);
  await owner.page.getByRole("button", { name: "Send invitations" }).click();
  await expect(owner.page.getByRole("alert")).toContainText(`${newcomer}:`);
  await shot(owner.page, "org-invitations-refused");

  const invite = async (email: string, role: string) => {
    const res = await owner.page.request.post("/api/auth/organization/invite-member", {
      data: { email, role, organizationId },
    });
    expect(res.status(), await res.text()).toBe(200);
  };

  // Someone new opens the link, sees the preview, creates an account and
  // lands inside the organization.
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

  // Someone with an account, signed out and not yet verified, signs in
  // from the preview, comes back and accepts: the emailed link proved
  // their address, so no second email is asked for, and it is verified.
  const memberLink = linkInEmailTo(member.email);
  await member.page.goto(memberLink);
  await member.page.getByRole("link", { name: "Sign in to accept" }).click();
  await member.page.getByLabel("Email").fill(member.email);
  await member.page.getByLabel("Password").fill(password);
  await member.page.getByRole("button", { name: "Sign in" }).click();
  await expect(member.page).toHaveURL(memberLink);
  await expect(member.page.getByText("Before you join, confirm that")).toHaveCount(0);
  await shot(member.page, "org-preview-accept");
  await member.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(member.page).toHaveURL(/\/welcome\?joined=/);
  await expect(member.page.getByTestId("welcome-role")).toHaveText("admin");
  const session = await (await member.page.request.get("/api/auth/get-session")).json();
  expect(session.user.emailVerified).toBe(true);

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
  await expect(dee.page).not.toHaveURL(/verify-email/);
  await invite(dee.email, "member");
  await dee.page.goto("/dashboard");
  const item = dee.page.getByTestId("inbox").getByRole("listitem").filter({ hasText: `Join ${name} as member` });
  await expect(item).toBeVisible();
  await shot(dee.page, "dashboard-inbox");
  await item.getByRole("button", { name: "Decline" }).click();
  // Back on the dashboard, the inbox has nothing left.
  await expect(dee.page.getByTestId("inbox")).toHaveCount(0);

  // The owner cancels a fourth from the tab; its link then says so.
  const canceledEmail = unique("canceled");
  await owner.page.goto(`/orgs/${slug}/invitations`);
  await owner.page.getByLabel("Email addresses").fill(canceledEmail);
  await owner.page.getByRole("checkbox", { name: "member" }).check();
  await owner.page.getByRole("button", { name: "Send invitations" }).click();
  const row = owner.page.getByTestId("invitation-row").filter({ hasText: canceledEmail });
  // Read before canceling: canceling wipes the link from the outbox.
  const canceledLink = linkInEmailTo(canceledEmail);
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByTestId("invitation-status")).toHaveText("canceled");
  await expect(row.getByRole("button", { name: "Cancel" })).toHaveCount(0);
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(canceledLink);
  await expect(stranger.getByText("This invitation was canceled.")).toBeVisible();
  await shot(stranger, "org-preview-canceled");

  // An invitation acts with its inviter's authority: Nina, an admin,
  // invites someone and then leaves; the link says it no longer works.
  const orphan = unique("orphan");
  const sent = await page.request.post("/api/auth/organization/invite-member", {
    data: { email: orphan, role: "member", organizationId },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  const left = await page.request.post("/api/auth/organization/leave", { data: { organizationId } });
  expect(left.status(), await left.text()).toBe(200);
  await stranger.goto(linkInEmailTo(orphan));
  await expect(stranger.getByText("The person who sent this invitation can no longer grant this role.")).toBeVisible();
  await expect(stranger.getByRole("link", { name: "Create your account and join" })).toHaveCount(0);
  await shot(stranger, "org-preview-inviter-gone");

  // The tab shows who joined and who declined, under "Earlier".
  await owner.page.reload();
  for (const [email, status] of [[newcomer, "accepted"], [dee.email, "declined"], [canceledEmail, "canceled"]]) {
    const earlier = owner.page.getByTestId("invitation-row").filter({ hasText: email });
    await expect(earlier.getByTestId("invitation-status")).toHaveText(status);
  }
  await shot(owner.page, "org-invitations-earlier");
});
