import { expect, test } from "./helpers";

// A unique address per run and project, so reruns never collide.
const unique = () => `person-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

test("sign up, sign out and sign in again through the pages", async ({ page }) => {
  const email = unique();
  const password = "correct horse battery staple";

  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Grace Hopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Hello, Grace Hopper" })).toBeVisible();
  await expect(page.getByTestId("role")).toHaveText("user");
  await expect(page.getByTestId("email")).toHaveText(email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  // Signed out for real: the dashboard sends us back to sign in.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/sign-in\?redirectTo=/);

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Invalid email or password" })).toBeVisible();

  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Hello, Grace Hopper" })).toBeVisible();
});

test("the sign-up form points at the field that is wrong", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Short Password");
  await page.getByLabel("Email").fill(unique());
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-password-error")).toHaveText(/at least 8 characters/);
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/sign-up$/);
});

test("unknown pages say so", async ({ page }) => {
  const response = await page.goto("/nowhere");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("what is typed before the page is interactive is kept", async ({ page }) => {
  // Hold the WebAssembly back until the fields are filled, as on a slow link.
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("early-bird@example.com");
  await page.getByLabel("Password").fill("typed before hydration");
  release();
  const button = page.getByRole("button", { name: "Sign in" });
  await expect(button).toBeEnabled();
  await button.click();
  // Had hydration blanked the fields, the form would ask for an email instead.
  await expect(page.getByRole("alert").filter({ hasText: "Invalid email or password" })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue("early-bird@example.com");
});
