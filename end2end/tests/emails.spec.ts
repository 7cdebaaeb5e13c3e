import { cliInvite, expect, signUpFromInvitation, shot, test, unique } from "./helpers";

test("with no mail server, an admin reveals a waiting invitation's link once", async ({ browser, baseURL }) => {
  const owner = await (await browser.newContext()).newPage();
  await owner.goto(cliInvite(baseURL!, "--role", "owner"));
  await signUpFromInvitation(owner, "Olive Owner", unique("owner"));
  await owner.getByRole("link", { name: "Invitations" }).click();

  const invitee = unique("guest");
  await owner.getByLabel("Email addresses").fill(invitee);
  await owner.getByRole("radio", { name: /moderator/ }).check();
  await owner.getByRole("button", { name: "Create invitation" }).click();
  await expect(owner.getByRole("status", { name: "Invitation created" })).toContainText(invitee);

  // The outgoing list shows the message, its link hidden.
  await owner.goto("/admin/emails");
  const row = owner.getByTestId("email-row").filter({ hasText: invitee });
  await expect(row).toContainText("not delivered");
  await row.getByRole("link", { name: "View text" }).click();
  const text = owner.getByRole("region", { name: "Message text" });
  await expect(text).toContainText("/invite/[hidden]");

  // Revealed once, audited, then never again.
  await text.getByRole("button", { name: "Reveal the link once" }).click();
  const revealed = owner.getByTestId("revealed");
  await expect(revealed).toContainText("/invite/");
  await expect(revealed).not.toContainText("[hidden]");
  await shot(owner, "admin-email-revealed");
  const link = (await revealed.textContent())!.match(/https?:\/\/\S+\/invite\/\S+/)![0];
  await owner.reload();
  await expect(owner.getByRole("region", { name: "Message text" })).toContainText("/invite/[hidden]");
  await expect(owner.getByRole("button", { name: "Reveal the link once" })).toHaveCount(0);

  // The revealed link is the invitation's.
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest.getByTestId("invite-role")).toHaveText("moderator");
});
