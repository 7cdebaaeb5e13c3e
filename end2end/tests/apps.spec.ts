import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import * as oidc from "openid-client";

import { cliInvite, expect, password, shot, signedUp, signUpFromInvitation, test, unique } from "./helpers";

/**
 * A small app as a self-hoster would put behind Gatehouse: a server that
 * signs people in with openid-client (the widely used OpenID Connect
 * library for Node), PKCE, state and nonce, and shows who signed in.
 */
class App {
  server: Server;
  url = "";
  clientId = "";
  clientSecret = "";
  private config?: oidc.Configuration;
  private pending = new Map<string, { verifier: string; nonce: string }>();
  /** The ID token of the last sign-in, for signing out. */
  private idToken = "";

  constructor(private issuer: string) {
    this.server = createServer((req, res) => {
      this.handle(new URL(req.url!, this.url)).then(
        ([status, headers, body]) => res.writeHead(status, headers).end(body),
        (e) => res.writeHead(500, { "content-type": "text/plain" }).end(`${e.name}: ${e.message} ${e.error ?? ""} ${e.error_description ?? ""}`),
      );
    });
  }

  async start() {
    await new Promise<void>((ready) => this.server.listen(0, "127.0.0.1", ready));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get redirectUri() {
    return `${this.url}/callback`;
  }

  private async handle(url: URL): Promise<[number, Record<string, string>, string]> {
    this.config ??= await oidc.discovery(
      new URL(this.issuer),
      this.clientId,
      this.clientSecret,
      oidc.ClientSecretBasic(this.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    if (url.pathname === "/") {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      this.pending.set(state, { verifier, nonce });
      const to = oidc.buildAuthorizationUrl(this.config, {
        redirect_uri: this.redirectUri,
        scope: "openid email profile roles organizations offline_access",
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
      return [302, { location: to.href }, ""];
    }
    if (url.pathname === "/logout") {
      const to = oidc.buildEndSessionUrl(this.config, {
        id_token_hint: this.idToken,
        post_logout_redirect_uri: `${this.url}/signed-out`,
        state: "bye",
      });
      return [302, { location: to.href }, ""];
    }
    if (url.pathname === "/signed-out") {
      return [200, { "content-type": "text/html" }, `<h1>Signed out of the team wiki (${url.searchParams.get("state")})</h1>`];
    }
    if (url.pathname === "/callback") {
      const state = url.searchParams.get("state") ?? "";
      const p = this.pending.get(state);
      if (!p) return [400, {}, "unknown state"];
      if (url.searchParams.get("error")) {
        return [200, { "content-type": "text/html" }, `<h1>Not signed in: ${url.searchParams.get("error")}</h1>`];
      }
      const tokens = await oidc.authorizationCodeGrant(this.config, url, {
        pkceCodeVerifier: p.verifier,
        expectedState: state,
        expectedNonce: p.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      this.idToken = tokens.id_token!;
      const info = await oidc.fetchUserInfo(this.config, tokens.access_token, claims.sub);
      const refreshed = await oidc.refreshTokenGrant(this.config, tokens.refresh_token!);
      const escape = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
      return [
        200,
        { "content-type": "text/html; charset=utf-8" },
        `<!doctype html><title>Team wiki</title><h1>Welcome to the team wiki, ${escape(String(claims.name))}</h1>` +
          `<p id="email">${escape(String(claims.email))}</p><p id="role">${escape(String(claims.role))}</p>` +
          `<p id="groups">${escape(JSON.stringify(info.groups))}</p>` +
          `<p id="refreshed">${refreshed.access_token !== tokens.access_token}</p>`,
      ];
    }
    return [404, {}, ""];
  }
}

test("an admin registers an app, and a person signs in to it with Gatehouse", async ({ browser, baseURL }) => {
  const app = new App(baseURL!);
  await app.start();
  try {
    // An owner registers the app at /admin/apps.
    const admin = await (await browser.newContext()).newPage();
    await admin.goto(cliInvite(baseURL!, "--role", "owner"));
    await signUpFromInvitation(admin, "Ada Admin", unique("apps-owner"));
    await admin.goto("/dashboard");
    await admin.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Apps" }).click();
    await expect(admin.getByRole("heading", { name: "Apps", exact: true })).toBeVisible();
    const form = admin.getByRole("region", { name: "Register an app" });
    await form.getByRole("textbox", { name: "Name", exact: true }).fill("Team wiki");
    await form.getByRole("textbox", { name: "Redirect URIs" }).fill(app.redirectUri);
    await form.getByRole("textbox", { name: /After sign-out/ }).fill(`${app.url}/signed-out`);
    await form.getByRole("checkbox", { name: /^roles/ }).check();
    await form.getByRole("checkbox", { name: /^organizations/ }).check();
    await form.getByRole("checkbox", { name: /^offline_access/ }).check();
    await shot(admin, "apps-register");
    await form.getByRole("button", { name: "Register app" }).click();
    await expect(admin.getByText("Team wiki is registered.")).toBeVisible();
    const secretBox = admin.getByRole("region", { name: "Client secret" });
    app.clientId = (await secretBox.locator("code").first().textContent())!.trim();
    app.clientSecret = (await secretBox.getByTestId("client-secret").textContent())!.trim();
    expect(app.clientSecret.length).toBeGreaterThan(30);
    await shot(admin, "apps-registered");
    // Shown this once.
    await admin.reload();
    await expect(admin.getByRole("region", { name: "Client secret" })).toHaveCount(0);
    const card = admin.locator(`[id="app-${app.clientId}"]`);
    await expect(card).toContainText("Team wiki");

    // Someone signed out opens the app: Gatehouse's sign-in, then the
    // consent page, then back in the app, signed in.
    const { page: first, email } = await signedUp(browser, "Grace Member", unique("apps-member"));
    await first.close();
    const page = await (await browser.newContext()).newPage();
    await page.goto(app.url);
    await expect(page).toHaveURL(/\/sign-in\?redirectTo=/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Sign in to Team wiki with Gatehouse" })).toBeVisible();
    await expect(page.getByText("Your email address")).toBeVisible();
    await expect(page.getByText("Your organizations, with your roles and teams in them")).toBeVisible();
    await expect(page.getByText("Stay signed in to it while you are away")).toBeVisible();
    await shot(page, "apps-consent");
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(page.getByRole("heading", { name: "Welcome to the team wiki, Grace Member" })).toBeVisible();
    await expect(page.locator("#email")).toHaveText(email);
    await expect(page.locator("#role")).toHaveText("user");
    await expect(page.locator("#groups")).toHaveText("[]");
    await expect(page.locator("#refreshed")).toHaveText("true");

    // Allowed once: the next sign-in goes straight through.
    await page.goto(app.url);
    await expect(page.getByRole("heading", { name: /Welcome to the team wiki/ })).toBeVisible();

    // The app signs the person out: Gatehouse asks, then sends them back.
    await page.goto(`${app.url}/logout`);
    await expect(page.getByRole("heading", { name: "Sign out of Team wiki?" })).toBeVisible();
    await shot(page, "apps-sign-out");
    await page.getByRole("main").getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Signed out of the team wiki (bye)" })).toBeVisible();
    await page.goto("/dashboard");
    await expect(page).toHaveURL(/\/sign-in/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/dashboard/);

    // The dashboard lists it, and disconnecting it asks again next time.
    await page.goto("/dashboard");
    const connected = page.getByRole("region", { name: "Connected apps" });
    await expect(connected).toContainText("Team wiki");
    await shot(page, "apps-connected");
    await connected.getByRole("button", { name: "Disconnect Team wiki" }).click();
    await expect(page.getByRole("region", { name: "Connected apps" })).toHaveCount(0);
    await page.goto(app.url);
    await expect(page.getByRole("heading", { name: "Sign in to Team wiki with Gatehouse" })).toBeVisible();
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByRole("heading", { name: "Not signed in: access_denied" })).toBeVisible();

    // Only admins, from now on: a member sees why not.
    await card.getByText("Change settings").click();
    await card.getByLabel("admin", { exact: true }).check();
    await card.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByText("Team wiki is saved.")).toBeVisible();
    await expect(card).toContainText("the roles admin");
    await page.goto(app.url);
    await expect(page.getByRole("heading", { name: "Team wiki is not open to your account" })).toBeVisible();
    await shot(page, "apps-denied");
    await page.getByRole("link", { name: "Back to Team wiki" }).click();
    await expect(page.getByRole("heading", { name: "Not signed in: access_denied" })).toBeVisible();

    // An unknown app: a page that says so, and nothing sent anywhere.
    await page.goto(`/api/auth/oauth2/authorize?client_id=nope&redirect_uri=${encodeURIComponent(app.redirectUri)}&response_type=code&scope=openid`);
    await expect(page.getByRole("heading", { name: "This sign-in link does not work" })).toBeVisible();
    await shot(page, "apps-invalid");
  } finally {
    app.server.close();
  }
});
