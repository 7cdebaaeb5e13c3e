import { codeInEmailTo, expect, linkInEmailTo, shot, signedUp, test } from "./helpers";

test("an owner verifies a domain by an emailed code; people there are offered to ask to join", async ({ browser }) => {
  const owner = await signedUp(browser, "Oda");
  const suffix = `${Date.now() % 1e8}${Math.floor(Math.random() * 1e3)}`;
  const name = `Initech ${suffix}`;
  const slug = `initech-${suffix}`;
  const domain = `initech-${suffix}.io`;
  const created = await owner.page.request.post("/api/auth/organization/create", { data: { name, slug } });
  expect(created.status()).toBe(200);
  await owner.page.goto(`/orgs/${slug}/settings`);

  // A free-mail domain is refused, with the reason.
  const section = owner.page.getByTestId("domains");
  await expect(section).toContainText("No domains yet.");
  const form = owner.page.getByRole("form", { name: "Add a domain" });
  await form.getByLabel("Domain").fill("gmail.com");
  await form.getByRole("button", { name: "Add with a DNS record" }).click();
  await expect(section.getByRole("alert")).toContainText("gmail.com is a free email provider");

  // Added with a code emailed to an address there: the record to publish
  // is shown too, either proves it.
  await form.getByLabel("Domain").fill(domain);
  await form.getByLabel("Email a code to").fill(`it@${domain}`);
  await form.getByRole("button", { name: "Add and email a code" }).click();
  const item = section.getByTestId("domain").filter({ hasText: domain });
  await expect(item).toContainText("Not verified yet");
  await expect(item.getByTestId("dns-name")).toHaveText(`_gatehouse-challenge.${domain}`);
  await expect(item.getByTestId("dns-value")).toContainText("gatehouse-verification=");
  await shot(owner.page, "domain-pending");
  await item.getByLabel(`Code sent to it@${domain}`).fill("000000" === codeInEmailTo(`it@${domain}`) ? "111111" : "000000");
  await item.getByRole("button", { name: "Verify code" }).click();
  await expect(section.getByRole("alert")).toContainText("That is not the code we sent. 4 tries left.");
  await item.getByLabel(`Code sent to it@${domain}`).fill(codeInEmailTo(`it@${domain}`));
  await item.getByRole("button", { name: "Verify code" }).click();
  await expect(item).toContainText("Verified");

  // People at the domain are offered to ask.
  const policy = owner.page.getByRole("form", { name: `Policy for ${domain}` });
  await policy.getByLabel(`People at @${domain}`).selectOption("suggest");
  await policy.getByRole("button", { name: "Save" }).click();
  await expect(owner.page.getByRole("form", { name: `Policy for ${domain}` }).getByLabel(`People at @${domain}`)).toHaveValue("suggest");
  await shot(owner.page, "domain-verified");

  const pat = await signedUp(browser, "Pat", `pat@${domain}`);
  await pat.page.goto(linkInEmailTo(pat.email, "verify-email"));
  await pat.page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(pat.page).not.toHaveURL(/verify-email/);
  await pat.page.goto("/dashboard");
  const offer = pat.page.getByTestId("domain-suggestion");
  await expect(offer.getByRole("heading", { name: `Request to join ${name}` })).toBeVisible();
  await shot(pat.page, "domain-suggestion");
  await offer.getByLabel("A word for the admins").fill("Accounts payable, second floor.");
  await offer.getByRole("button", { name: `Request to join ${name}` }).click();
  await expect(pat.page.getByTestId("my-join-requests")).toContainText("waiting for an answer");
  await expect(pat.page.getByTestId("domain-suggestion")).toHaveCount(0);

  await owner.page.goto(`/orgs/${slug}`);
  const request = owner.page.getByTestId("join-request").filter({ hasText: pat.email });
  await expect(request).toContainText("Accounts payable, second floor.");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(owner.page.getByTestId("member-row").filter({ hasText: pat.email })).toContainText("member");
});
