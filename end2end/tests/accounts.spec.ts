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

test("the sign-up form points at the field that is wrong before it is sent, then says it is on its way", async ({ page }) => {
  const posts: string[] = [];
  page.on("request", (r) => r.method() === "POST" && posts.push(r.url()));
  await page.goto("/sign-up");
  const submit = page.getByRole("button", { name: "Create account" });
  await expect(submit).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Name").fill("Short Password");
  await page.getByLabel("Email").fill("not an address");
  await page.getByLabel("Password").fill("short");
  await submit.click();
  // The island's checks, the server's words, under each field: nothing sent.
  await expect(page.locator("#field-email-error")).toHaveText("`not an address` is not a valid email address.");
  await expect(page.locator("#field-password-error")).toHaveText(/at least 8 characters/);
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Email")).toBeFocused();
  await expect(page.locator("#field-name-error")).toHaveText("");
  expect(posts, "a form with wrong fields is not sent").toEqual([]);

  // Right, it goes: its button says so and takes no second click. Seen
  // from a listener after the island's (the test keeps the post at home).
  await page.getByLabel("Email").fill(unique());
  await page.getByLabel("Password").fill("correct horse battery staple");
  const send = () =>
    page.evaluate(
      () =>
        new Promise<{ text: string; disabled: boolean; stopped: boolean }>((resolve) => {
          window.addEventListener(
            "submit",
            (e) => {
              const stopped = e.defaultPrevented;
              e.preventDefault();
              const button = document.querySelector<HTMLButtonElement>("form button[type=submit]")!;
              resolve({ text: button.textContent!.trim(), disabled: button.disabled, stopped });
            },
            { once: true },
          );
          document.querySelector<HTMLFormElement>("form[action='/api/auth/sign-up/email']")!.requestSubmit();
        }),
    );
  expect(await send()).toEqual({ text: "Creating your account…", disabled: true, stopped: false });
  await expect(page.locator("#field-email-error")).toHaveText("");
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "false");
  expect((await send()).stopped, "a second submit is held back").toBe(true);
  expect(posts).toEqual([]);
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
