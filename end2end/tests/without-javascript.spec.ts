import { cliInvite, expect, linkInEmailTo, password, test, unique } from "./helpers";

// Link unfurlers, mail scanners, text browsers and phones that have not run
// the WebAssembly yet see only the HTML: every page that needs no sign-in
// (and the welcome page, right after one) must be complete in it.
test.use({ javaScriptEnabled: false });

test("the pages anyone may open read fully without JavaScript", async ({ page, baseURL }) => {
  const pages: [string, RegExp][] = [
    ["/sign-in", /Sign in/],
    ["/sign-up", /Create your account/],
    ["/forgot-password", /Reset your password/],
    ["/reset-password?token=not-a-real-one", /Choose a new password/],
    ["/invite", /Have an invitation code\?/],
    ["/nowhere", /Page not found/],
  ];
  for (const [path, heading] of pages) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 }), path).toHaveText(heading);
    await expect(page.getByText("Loading"), path).toHaveCount(0);
  }
  await expect(page.getByRole("link", { name: "Sign in" }), "the header is rendered too").toBeVisible();

  // An invitation's preview and its sign-up form.
  const link = cliInvite(baseURL!, "--role", "moderator");
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("You're invited to Gatehouse");
  await expect(page.getByTestId("invite-role")).toHaveText("moderator");
  await expect(page.getByText("Anyone with this link")).toBeVisible();
  await expect(page.getByRole("link", { name: "Create your account" })).toBeVisible();
  await page.goto(`${link}/sign-up`);
  await expect(page.getByLabel("Name")).toBeVisible();
  await expect(page.getByText("moderator").first()).toBeVisible();

  // An invitation that does not exist says so.
  await page.goto("/invite/no-such-invitation");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation can't be opened");
});

test("enrollment and welcome pages arrive complete", async ({ page, browser, baseURL }) => {
  // An admin (with JavaScript, through the API) makes an account by enrollment.
  const adminContext = await browser.newContext({ javaScriptEnabled: true });
  const admin = adminContext.request;
  const adminEmail = unique("nojs-admin");
  const adminToken = cliInvite(baseURL!, "--role", "admin").split("/").pop();
  let res = await admin.post("/api/auth/sign-up/email", {
    data: { name: "No-JS Admin", email: adminEmail, password, inviteToken: adminToken },
  });
  expect(res.status()).toBe(200);
  const staff = unique("nojs-staff");
  res = await admin.post("/api/auth/admin/create-user", { data: { email: staff, name: "Nora Script", role: "user" } });
  expect(res.status()).toBe(200);

  await page.goto(linkInEmailTo(staff, "enroll"));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Set up your account");
  await expect(page.getByTestId("enroll-name")).toHaveText("Nora Script");
  await expect(page.getByTestId("enroll-email")).toHaveText(staff);

  // Signed in (the cookie set through the API), the welcome page and the
  // dashboard render with their data.
  res = await page.request.post("/api/auth/sign-up/email", {
    data: { name: "Wendy Welcome", email: unique("nojs-welcome"), password },
  });
  expect(res.status()).toBe(200);
  await page.goto("/welcome");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome, Wendy Welcome");
  await expect(page.getByTestId("welcome-role")).toHaveText("user");
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hello, Wendy Welcome");
  await adminContext.close();
});

test("an invitation is used from start to finish without JavaScript", async ({ page, browser, baseURL }) => {
  // A new person: the preview, the sign-up form (a mistake first), the welcome page.
  const link = cliInvite(baseURL!, "--role", "moderator");
  await page.goto(link);
  await page.getByRole("link", { name: "Create your account" }).click();
  const email = unique("nojs-new");
  await page.getByLabel("Name").fill("Nadia NoScript");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/sign-up$/);
  await expect(page.getByText("Use at least")).toBeVisible();
  await expect(page.getByLabel("Name"), "what was typed is kept").toHaveValue("Nadia NoScript");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await expect(page.getByLabel("Password"), "but never a password").toHaveValue("");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/welcome/);
  await expect(page.getByTestId("welcome-role")).toHaveText("moderator");

  // Someone with an account: signs in from the invitation (sent to their
  // address, which the link proves), comes back, accepts.
  const upgrade = cliInvite(baseURL!, "--role", "admin", "--email", email);
  const other = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await other.goto(upgrade);
  await other.getByRole("link", { name: "Sign in to accept" }).click();
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill("wrong password");
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByText("Invalid email or password")).toBeVisible();
  await expect(other.getByLabel("Email")).toHaveValue(email);
  await other.getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(upgrade);
  await other.getByRole("button", { name: "Accept and become admin" }).click();
  await expect(other).toHaveURL(/\/welcome/);
  await expect(other.getByTestId("welcome-role")).toHaveText("admin");

  // A code typed into /invite opens its invitation; a wrong one is explained.
  await other.goto("/invite");
  await other.getByLabel("Invitation code").fill("nope");
  await other.getByRole("button", { name: "Continue" }).click();
  await expect(other.getByLabel("Invitation code")).toHaveAttribute("aria-invalid", "true");
});

test("an account confirms its address and joins an organization without JavaScript", async ({ page, browser }) => {
  // Open sign-up, by form.
  const email = unique("nojs-verify");
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Vera Verify");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // An owner (through the API) invites that address into an organization.
  const ownerContext = await browser.newContext({ javaScriptEnabled: true });
  const owner = ownerContext.request;
  let res = await owner.post("/api/auth/sign-up/email", { data: { name: "Olga", email: unique("nojs-owner"), password } });
  expect(res.status()).toBe(200);
  const slug = `nojs-${Date.now() % 1e8}`;
  res = await owner.post("/api/auth/organization/create", { data: { name: "No Script Co", slug } });
  expect(res.status()).toBe(200);
  const organizationId = (await res.json()).id;
  res = await owner.post("/api/auth/organization/invite-member", { data: { email, role: "member", organizationId } });
  expect(res.status(), await res.text()).toBe(200);

  // The dashboard asks for the address to be confirmed first.
  await page.goto("/dashboard");
  await page.getByRole("button", { name: "Send me a verification email" }).click();
  await expect(page).toHaveURL(/verification=sent/);
  await expect(page.getByText(`We sent a link to ${email}`)).toBeVisible();

  // The link's page confirms by form and goes back; the invitation is there.
  await page.goto(linkInEmailTo(email, "verify-email"));
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole("button", { name: "Accept", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/welcome\\?joined=${slug}`));
  await ownerContext.close();
});
