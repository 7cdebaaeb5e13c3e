// Gatehouse driven by Better Auth's official client, as an app written for
// Better Auth would drive it (SPEC §5). It starts the release build on a
// fresh SQLite database, takes the first-run setup link from its log, and
// goes through the organization endpoints with `organizationClient()` and
// `adminClient()`, checking the fields of each answer.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createAuthClient } from "better-auth/client";
import { adminClient, organizationClient, twoFactorClient } from "better-auth/client/plugins";

const root = path.resolve(import.meta.dirname, "../..");
const port = 3941;
const baseURL = `http://127.0.0.1:${port}`;
const password = "correct horse battery staple";
let server;
let setupToken;
const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-better-auth-"));
const instance = {
  GATEHOUSE_DATABASE_URL: `sqlite://${dir}/gatehouse.db`,
  GATEHOUSE_KEY_FILE: `${dir}/gatehouse.key`,
  GATEHOUSE_BASE_URL: baseURL,
};

before(async () => {
  server = spawn(path.join(root, "target/release/gatehouse"), ["serve"], {
    cwd: root,
    env: {
      ...process.env,
      ...instance,
      GATEHOUSE_BIND: `127.0.0.1:${port}`,
      GATEHOUSE_SIGN_UP_MODE: "open",
      GATEHOUSE_RATE_LIMITS__SIGN_UP: "1000/1m",
      GATEHOUSE_RATE_LIMITS__SIGN_IN: "1000/1m",
      // The webhook test's receiver is on this machine.
      GATEHOUSE_WEBHOOKS__ALLOW_PRIVATE_NETWORKS: "true",
      GATEHOUSE_WEBHOOKS__POLL_INTERVAL: "100ms",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // The setup link is the one secret the log holds, printed at the start.
  setupToken = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no setup link within 60 s")), 60_000);
    const lines = createInterface({ input: server.stderr });
    lines.on("line", (line) => {
      const found = line.match(/\/invite\/([A-Za-z0-9_-]{20,})/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`gatehouse exited with ${code}`)));
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${baseURL}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("gatehouse did not become healthy");
});

after(() => server?.kill());

/**
 * A Better Auth client with its own session, carried as a bearer token.
 * `session.redirected` counts the client's twoFactorRedirect callbacks.
 */
function person() {
  const session = { token: undefined, redirected: 0 };
  const client = createAuthClient({
    baseURL,
    plugins: [
      organizationClient(),
      adminClient(),
      twoFactorClient({ onTwoFactorRedirect: () => { session.redirected += 1; } }),
    ],
    fetchOptions: { auth: { type: "Bearer", token: () => session.token } },
  });
  return { client, session };
}

/** The code an authenticator app shows for `uri`, `ahead` steps from now. */
function totpCode(uri, ahead = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const secret = new URL(uri).searchParams.get("secret").replace(/=+$/, "");
  const bits = [...secret].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + ahead));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** The answer's data, failing the test on an error answer. */
function ok(result, what) {
  assert.equal(result.error, null, `${what}: ${JSON.stringify(result.error)}`);
  return result.data;
}

/** The `gatehouse` command on this instance's database, as an operator runs it. */
function gatehouse(...args) {
  return execFileSync(path.join(root, "target/release/gatehouse"), args, {
    cwd: root,
    env: { ...process.env, ...instance, RUST_LOG: "warn" },
  }).toString();
}

/**
 * The link in the newest waiting email of `kind` to `to`, read as an
 * operator would with no mail server: `gatehouse outbox list`, then `show`.
 */
function linkInOutbox(to, kind) {
  const line = gatehouse("outbox", "list")
    .split("\n")
    .find((l) => l.includes(` ${kind} `) && l.includes(` ${to} `));
  assert.ok(line, `a waiting ${kind} email to ${to}`);
  const link = gatehouse("outbox", "show", line.split(/\s+/)[0]).match(/https?:\/\/\S+/);
  assert.ok(link, `a link in the ${kind} email to ${to}`);
  return new URL(link[0]);
}

/** The 6-digit code in the newest waiting `domain-code` email to `to`. */
function codeInOutbox(to) {
  const line = gatehouse("outbox", "list")
    .split("\n")
    .find((l) => l.includes(" domain-code ") && l.includes(` ${to} `));
  assert.ok(line, `a waiting domain-code email to ${to}`);
  const code = gatehouse("outbox", "show", line.split(/\s+/)[0]).match(/^\s*(\d{6})\s*$/m);
  assert.ok(code, `a code in the email to ${to}`);
  return code[1];
}

async function signUp(p, name, email, extra = {}) {
  const data = ok(await p.client.signUp.email({ name, email, password, ...extra }), `sign up ${email}`);
  p.session.token = data.token;
  return data.user;
}

test("organizations through organizationClient and adminClient", async () => {
  const stamp = Date.now();
  // The first owner arrives with the setup link: signUp.email passes
  // `inviteToken` through unchanged.
  const owner = person();
  const ownerUser = await signUp(owner, "Olive Owner", `owner-${stamp}@example.com`, { inviteToken: setupToken });
  assert.equal(ownerUser.role, "owner");

  const slug = `acme-${stamp}`;
  assert.deepEqual(ok(await owner.client.organization.checkSlug({ slug }), "check-slug"), { status: true });
  const created = ok(
    await owner.client.organization.create({ name: "Acme", slug, metadata: { plan: "pro" } }),
    "create",
  );
  assert.equal(created.name, "Acme");
  assert.equal(created.slug, slug);
  assert.deepEqual(created.metadata, { plan: "pro" });
  assert.equal(created.members.length, 1);
  assert.equal(created.members[0].role, "owner");
  assert.equal(created.members[0].userId, ownerUser.id);

  const taken = await owner.client.organization.checkSlug({ slug });
  assert.equal(taken.error.status, 400);
  assert.equal(taken.error.code, "ORGANIZATION_SLUG_ALREADY_TAKEN");

  const list = ok(await owner.client.organization.list(), "list");
  assert.deepEqual(list.map((o) => o.id), [created.id]);

  const session = ok(await owner.client.getSession(), "get-session");
  assert.equal(session.session.activeOrganizationId, created.id, "the new organization is active");
  const active = ok(await owner.client.organization.setActive({ organizationId: created.id }), "set-active");
  assert.equal(active.id, created.id);

  // An instance admin adds an existing account (Better Auth keeps
  // add-member on the server; the client reaches it with $fetch).
  const bob = person();
  const bobUser = await signUp(bob, "Bob", `bob-${stamp}@example.com`);
  ok(
    await owner.client.$fetch("/organization/add-member", {
      method: "POST",
      body: { userId: bobUser.id, role: "member", organizationId: created.id },
    }),
    "add-member",
  );

  const full = ok(await owner.client.organization.getFullOrganization(), "get-full-organization");
  assert.equal(full.id, created.id);
  assert.deepEqual(full.members.map((m) => m.user.email).sort(), [bobUser.email, ownerUser.email].sort());

  const members = ok(await owner.client.organization.listMembers({ query: { organizationId: created.id } }), "list-members");
  assert.equal(members.total, 2);
  const bobMember = members.members.find((m) => m.userId === bobUser.id);
  assert.equal(bobMember.role, "member");

  // Bob may not invite yet; made admin (several roles), he may.
  ok(await bob.client.organization.setActive({ organizationId: created.id }), "bob set-active");
  const before = ok(await bob.client.organization.hasPermission({ permissions: { invitation: ["create"] } }), "has-permission");
  assert.equal(before.success, false);
  const updated = ok(
    await owner.client.organization.updateMemberRole({ memberId: bobMember.id, role: ["admin", "member"], organizationId: created.id }),
    "update-member-role",
  );
  assert.equal(updated.role, "admin,member");
  const after_ = ok(await bob.client.organization.hasPermission({ permissions: { invitation: ["create"] } }), "has-permission");
  assert.equal(after_.success, true);
  const activeMember = ok(await bob.client.organization.getActiveMember(), "get-active-member");
  assert.equal(activeMember.role, "admin,member");

  // The granting rule: an admin cannot make himself owner, nor invite one,
  // and the refusal names what he lacks.
  const promoted = await bob.client.organization.updateMemberRole({ memberId: bobMember.id, role: "owner", organizationId: created.id });
  assert.equal(promoted.error.status, 403);
  assert.equal(promoted.error.code, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER");
  const ownerInvite = await bob.client.organization.inviteMember({ email: `olaf-${stamp}@example.com`, role: "owner", organizationId: created.id });
  assert.equal(ownerInvite.error.status, 403);
  assert.equal(ownerInvite.error.code, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE");

  // An admin cannot remove the owner; the owner removes Bob, who then
  // finds himself outside.
  const refused = await bob.client.organization.removeMember({ memberIdOrEmail: ownerUser.email, organizationId: created.id });
  assert.equal(refused.error.status, 403);
  assert.equal(refused.error.code, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER");
  const removed = ok(
    await owner.client.organization.removeMember({ memberIdOrEmail: bobUser.email, organizationId: created.id }),
    "remove-member",
  );
  assert.equal(removed.member.userId, bobUser.id);
  const outside = await bob.client.organization.getFullOrganization({ query: { organizationId: created.id } });
  assert.equal(outside.error.code, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION");

  // Leaving: a second member leaves; the only owner cannot.
  const cy = person();
  const cyUser = await signUp(cy, "Cy", `cy-${stamp}@example.com`);
  ok(
    await owner.client.$fetch("/organization/add-member", {
      method: "POST",
      body: { userId: cyUser.id, role: "member", organizationId: created.id },
    }),
    "add-member",
  );
  const left = ok(await cy.client.organization.leave({ organizationId: created.id }), "leave");
  assert.equal(left.userId, cyUser.id);
  const stay = await owner.client.organization.leave({ organizationId: created.id });
  assert.equal(stay.error.code, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER");

  // The owner deletes it; nothing is active any more.
  const deleted = ok(await owner.client.organization.delete({ organizationId: created.id }), "delete");
  assert.equal(deleted.id, created.id);
  assert.deepEqual(ok(await owner.client.organization.list(), "list"), []);
  const afterDelete = ok(await owner.client.getSession(), "get-session");
  assert.equal(afterDelete.session.activeOrganizationId, null);
});

test("organization invitations through organizationClient", async () => {
  const stamp = Date.now();
  const owner = person();
  await signUp(owner, "Otto Owner", `otto-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Beta", slug: `beta-${stamp}` }), "create");

  const ivyEmail = `ivy-${stamp}@example.com`;
  const invitation = ok(
    await owner.client.organization.inviteMember({ email: ivyEmail, role: "admin", organizationId: org.id }),
    "invite-member",
  );
  assert.equal(invitation.email, ivyEmail);
  assert.equal(invitation.role, "admin");
  assert.equal(invitation.status, "pending");
  assert.equal(invitation.organizationId, org.id);
  assert.equal(invitation.teamId, null);
  const again = await owner.client.organization.inviteMember({ email: ivyEmail, role: "admin", organizationId: org.id });
  assert.equal(again.error.code, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION");
  const listed = ok(await owner.client.organization.listInvitations({ query: { organizationId: org.id } }), "list-invitations");
  assert.deepEqual(listed.map((i) => [i.id, i.status]), [[invitation.id, "pending"]]);

  // The emailed link's secret opens the public preview.
  const secret = linkInOutbox(ivyEmail, "organization-invitation").pathname.split("/").pop();
  assert.notEqual(secret, invitation.id);
  const preview = ok(
    await owner.client.$fetch("/organization/get-invitation-preview", { query: { id: secret } }),
    "get-invitation-preview",
  );
  assert.equal(preview.organizationName, "Beta");
  assert.equal(preview.inviterName, "Otto Owner");
  assert.equal(preview.role, "admin");
  assert.equal(preview.email, undefined);

  // Ivy signs up; her address must be shown to be hers before she joins.
  const ivy = person();
  await signUp(ivy, "Ivy", ivyEmail);
  const unverified = await ivy.client.organization.acceptInvitation({ invitationId: invitation.id });
  assert.equal(unverified.error.status, 403);
  assert.equal(unverified.error.code, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION");
  const token = linkInOutbox(ivyEmail, "email-verification").searchParams.get("token");
  ok(await ivy.client.$fetch("/verify-email", { method: "POST", body: { token } }), "verify-email");

  const got = ok(await ivy.client.organization.getInvitation({ query: { id: invitation.id } }), "get-invitation");
  assert.equal(got.organizationName, "Beta");
  assert.equal(got.organizationSlug, `beta-${stamp}`);
  const inbox = ok(await ivy.client.organization.listUserInvitations(), "list-user-invitations");
  assert.deepEqual(inbox.map((i) => i.id), [invitation.id]);
  const accepted = ok(await ivy.client.organization.acceptInvitation({ invitationId: secret }), "accept-invitation");
  assert.equal(accepted.invitation.status, "accepted");
  assert.equal(accepted.member.role, "admin");
  const session = ok(await ivy.client.getSession(), "get-session");
  assert.equal(session.session.activeOrganizationId, org.id);

  // Another declines; a third's invitation is canceled.
  const joEmail = `jo-${stamp}@example.com`;
  const jos = ok(await owner.client.organization.inviteMember({ email: joEmail, role: "member", organizationId: org.id }), "invite jo");
  const jo = person();
  await signUp(jo, "Jo", joEmail);
  // By the bare id her unverified address is not enough; by the emailed
  // link's secret it is (the link proves the mailbox).
  const byId = await jo.client.organization.rejectInvitation({ invitationId: jos.id });
  assert.equal(byId.error.code, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION");
  const josSecret = linkInOutbox(joEmail, "organization-invitation").pathname.split("/").pop();
  const rejected = ok(await jo.client.organization.rejectInvitation({ invitationId: josSecret }), "reject-invitation");
  assert.equal(rejected.invitation.status, "rejected");
  assert.equal(rejected.member, null);
  const kims = ok(
    await owner.client.organization.inviteMember({ email: `kim-${stamp}@example.com`, role: "member", organizationId: org.id }),
    "invite kim",
  );
  const canceled = ok(await ivy.client.organization.cancelInvitation({ invitationId: kims.id }), "cancel-invitation");
  assert.equal(canceled.status, "canceled");
  const statuses = ok(await owner.client.organization.listInvitations({ query: { organizationId: org.id } }), "list-invitations");
  assert.deepEqual(statuses.map((i) => i.status), ["canceled", "rejected", "accepted"]);
});

test("teams through organizationClient", async () => {
  const stamp = Date.now();
  const owner = person();
  const ownerUser = await signUp(owner, "Tess Owner", `tess-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Gamma", slug: `gamma-${stamp}` }), "create");

  // A new organization has a first team named after it, active.
  const first = ok(await owner.client.organization.listTeams({ query: { organizationId: org.id } }), "list-teams");
  assert.deepEqual(first.map((t) => t.name), ["Gamma"]);
  assert.equal(first[0].updatedAt, null);
  assert.equal(ok(await owner.client.getSession(), "get-session").session.activeTeamId, first[0].id);

  const team = ok(await owner.client.organization.createTeam({ name: "Platform", organizationId: org.id }), "create-team");
  assert.equal(team.name, "Platform");
  assert.equal(team.organizationId, org.id);
  const renamed = ok(
    await owner.client.organization.updateTeam({ teamId: team.id, data: { name: "Platform Team" } }),
    "update-team",
  );
  assert.equal(renamed.name, "Platform Team");

  // Mia joins through an invitation into the team: she is in it, and it is active.
  const miaEmail = `mia-${stamp}@example.com`;
  const invitation = ok(
    await owner.client.organization.inviteMember({ email: miaEmail, role: "member", organizationId: org.id, teamId: team.id }),
    "invite-member with teamId",
  );
  assert.equal(invitation.teamId, team.id);
  const mia = person();
  const miaUser = await signUp(mia, "Mia", miaEmail);
  const token = linkInOutbox(miaEmail, "email-verification").searchParams.get("token");
  ok(await mia.client.$fetch("/verify-email", { method: "POST", body: { token } }), "verify-email");
  ok(await mia.client.organization.acceptInvitation({ invitationId: invitation.id }), "accept-invitation");
  assert.equal(ok(await mia.client.getSession(), "get-session").session.activeTeamId, team.id);
  const members = ok(await mia.client.organization.listTeamMembers({ query: { teamId: team.id } }), "list-team-members");
  assert.deepEqual(members.map((m) => m.userId), [miaUser.id]);
  assert.deepEqual(ok(await mia.client.organization.listUserTeams(), "list-user-teams").map((t) => t.id), [team.id]);
  const refused = await mia.client.organization.createTeam({ name: "Mia's", organizationId: org.id });
  assert.equal(refused.error.code, "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION");
  assert.equal(ok(await mia.client.organization.setActiveTeam({ teamId: null }), "set-active-team null"), null);

  // The owner joins the team and makes it active; Mia is taken out.
  const added = ok(await owner.client.organization.addTeamMember({ teamId: team.id, userId: ownerUser.id }), "add-team-member");
  assert.equal(added.userId, ownerUser.id);
  assert.equal(ok(await owner.client.organization.setActiveTeam({ teamId: team.id }), "set-active-team").id, team.id);
  ok(await owner.client.organization.removeTeamMember({ teamId: team.id, userId: miaUser.id }), "remove-team-member");
  const notIn = await mia.client.organization.setActiveTeam({ teamId: team.id });
  assert.equal(notIn.error.code, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM");

  // Removing the team clears it from the owner's session; the last team stays.
  const removed = ok(await owner.client.organization.removeTeam({ teamId: team.id, organizationId: org.id }), "remove-team");
  assert.equal(removed.message, "Team removed successfully.");
  assert.equal(ok(await owner.client.getSession(), "get-session").session.activeTeamId, null);
  const last = await owner.client.organization.removeTeam({ teamId: first[0].id, organizationId: org.id });
  assert.equal(last.error.code, "UNABLE_TO_REMOVE_LAST_TEAM");
});

test("custom roles through organizationClient", async () => {
  const stamp = Date.now();
  const owner = person();
  await signUp(owner, "Rita Owner", `rita-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Delta", slug: `delta-${stamp}` }), "create");

  const created = ok(
    await owner.client.organization.createRole({
      organizationId: org.id,
      role: "Billing",
      permission: { member: ["update"], invitation: ["create"] },
    }),
    "create-role",
  );
  assert.equal(created.success, true);
  assert.equal(created.roleData.role, "billing");
  assert.deepEqual(created.roleData.permission, { invitation: ["create"], member: ["update"] });
  const invalid = await owner.client.organization.createRole({ organizationId: org.id, role: "ghost", permission: { spaceship: ["fly"] } });
  assert.equal(invalid.error.code, "INVALID_RESOURCE");
  const taken = await owner.client.organization.createRole({ organizationId: org.id, role: "admin", permission: { member: ["update"] } });
  assert.equal(taken.error.code, "ROLE_NAME_IS_ALREADY_TAKEN");

  const listed = ok(await owner.client.organization.listRoles({ query: { organizationId: org.id } }), "list-roles");
  assert.deepEqual(listed.map((r) => r.role), ["billing"]);
  const got = ok(await owner.client.organization.getRole({ query: { organizationId: org.id, roleName: "billing" } }), "get-role");
  assert.equal(got.id, created.roleData.id);

  // Invited with the custom role, Bea may invite but not cancel.
  const beaEmail = `bea-${stamp}@example.com`;
  const invitation = ok(
    await owner.client.organization.inviteMember({ email: beaEmail, role: "billing", organizationId: org.id }),
    "invite-member with a custom role",
  );
  const bea = person();
  await signUp(bea, "Bea", beaEmail);
  const token = linkInOutbox(beaEmail, "email-verification").searchParams.get("token");
  ok(await bea.client.$fetch("/verify-email", { method: "POST", body: { token } }), "verify-email");
  const joined = ok(await bea.client.organization.acceptInvitation({ invitationId: invitation.id }), "accept-invitation");
  assert.equal(joined.member.role, "billing");
  const may = ok(await bea.client.organization.hasPermission({ permissions: { invitation: ["create"] } }), "has-permission");
  assert.equal(may.success, true);
  const mayNot = ok(await bea.client.organization.hasPermission({ permissions: { invitation: ["cancel"] } }), "has-permission");
  assert.equal(mayNot.success, false);
  // She grants only what she holds: `admin` carries much more.
  const beyond = await bea.client.organization.inviteMember({ email: `cid-${stamp}@example.com`, role: "admin", organizationId: org.id });
  assert.equal(beyond.error.status, 403);
  assert.equal(beyond.error.code, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE");
  assert.ok(beyond.error.missingPermissions.includes("organization:update"), JSON.stringify(beyond.error));

  const renamed = ok(
    await owner.client.organization.updateRole({ organizationId: org.id, roleName: "billing", data: { roleName: "finance" } }),
    "update-role",
  );
  assert.equal(renamed.roleData.role, "finance");
  assert.equal(ok(await bea.client.organization.getActiveMember(), "get-active-member").role, "finance");
  const held = await owner.client.organization.deleteRole({ organizationId: org.id, roleName: "finance" });
  assert.equal(held.error.code, "ROLE_IS_ASSIGNED_TO_MEMBERS");
  ok(await owner.client.organization.updateMemberRole({ organizationId: org.id, memberId: joined.member.id, role: "member" }), "update-member-role");
  assert.deepEqual(ok(await owner.client.organization.deleteRole({ organizationId: org.id, roleName: "finance" }), "delete-role"), { success: true });
});

test("webhooks through the client's $fetch, signed as Standard Webhooks says", async () => {
  const stamp = Date.now();
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((ready) => receiver.listen(0, "127.0.0.1", ready));
  const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  try {
    const owner = person();
    const inviteToken = gatehouse("invite", "--role", "owner").match(/\/invite\/([A-Za-z0-9_-]{20,})/)[1];
    await signUp(owner, "Otto Owner", `otto-${stamp}@example.com`, { inviteToken });
    const made = ok(
      await owner.client.$fetch("/admin/create-webhook", { method: "POST", body: { url, events: ["organization.*"] } }),
      "create-webhook",
    );
    assert.match(made.secret, /^whsec_/);
    assert.deepEqual(made.webhook.events, ["organization.*"]);
    const org = ok(await owner.client.organization.create({ name: "Echo", slug: `echo-${stamp}` }), "create");

    for (let i = 0; i < 100 && !received.some((r) => JSON.parse(r.body).type === "organization.create"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const delivery = received.find((r) => JSON.parse(r.body).type === "organization.create");
    assert.ok(delivery, "organization.create delivered");
    const event = JSON.parse(delivery.body);
    assert.equal(event.data.targetId, org.id);
    assert.equal(event.id, delivery.headers["webhook-id"]);
    const key = Buffer.from(made.secret.slice("whsec_".length), "base64");
    const signature = createHmac("sha256", key)
      .update(`${delivery.headers["webhook-id"]}.${delivery.headers["webhook-timestamp"]}.${delivery.body}`)
      .digest("base64");
    assert.ok(delivery.headers["webhook-signature"].split(" ").includes(`v1,${signature}`), "signature");

    const listed = ok(
      await owner.client.$fetch("/admin/list-webhook-deliveries", { query: { webhookId: made.webhook.id } }),
      "list-webhook-deliveries",
    );
    assert.ok(listed.deliveries.some((d) => d.eventType === "organization.create" && d.status === "delivered"));
    const removed = ok(
      await owner.client.$fetch("/admin/delete-webhook", { method: "POST", body: { webhookId: made.webhook.id } }),
      "delete-webhook",
    );
    assert.equal(removed.status, true);
  } finally {
    receiver.close();
  }
});

test("join links and lists through the client's $fetch, beside organizationClient", async () => {
  const stamp = Date.now();
  const owner = person();
  await signUp(owner, "Jo Owner", `jo-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Joiners", slug: `joiners-${stamp}` }), "create");
  const link = ok(
    await owner.client.$fetch("/organization/create-join-link", {
      method: "POST",
      body: { organizationId: org.id, name: "Lobby", maxUses: 2 },
    }),
    "create-join-link",
  );
  assert.equal(link.name, "Lobby");
  assert.equal(link.role, "member");
  assert.match(link.url, new RegExp(`/join/${link.token}$`));

  // Someone signs up with the link (a Gatehouse route, through $fetch), and
  // organizationClient sees the membership as for any other.
  const guest = person();
  const joined = ok(
    await guest.client.$fetch("/organization/signup-with-join-link", {
      method: "POST",
      body: { token: link.token, name: "Gus Guest", email: `gus-${stamp}@example.com`, password },
    }),
    "signup-with-join-link",
  );
  assert.equal(joined.member.organizationId, org.id);
  guest.session.token = joined.token;
  const mine = ok(await guest.client.organization.list(), "list");
  assert.deepEqual(mine.map((o) => o.id), [org.id]);
  const active = ok(await guest.client.organization.getActiveMember(), "getActiveMember");
  assert.equal(active.role, "member");

  // Someone with an account joins; the link counts both and names them.
  const other = person();
  await signUp(other, "Ola Other", `ola-${stamp}@example.com`);
  ok(await other.client.$fetch("/organization/join", { method: "POST", body: { token: link.token } }), "join");
  const links = ok(
    await owner.client.$fetch("/organization/list-join-links", { query: { organizationId: org.id } }),
    "list-join-links",
  );
  assert.equal(links[0].uses, 2);
  assert.equal(links[0].status, "used");
  assert.deepEqual(links[0].usedBy.map((u) => u.name).sort(), ["Gus Guest", "Ola Other"]);
  const members = ok(await owner.client.organization.listMembers({ query: { organizationId: org.id } }), "listMembers");
  assert.equal(members.total, 3);

  // A list of people, each with a result.
  const bulk = ok(
    await owner.client.$fetch("/organization/invite-members", {
      method: "POST",
      body: {
        organizationId: org.id,
        invitations: [{ email: `a-${stamp}@example.com` }, { email: "nope" }, { email: `gus-${stamp}@example.com` }],
      },
    }),
    "invite-members",
  );
  assert.deepEqual(bulk.results.map((r) => r.status), ["invited", "invalid_email", "already_member"]);
  const invitations = ok(await owner.client.organization.listInvitations({ query: { organizationId: org.id } }), "listInvitations");
  assert.deepEqual(invitations.map((i) => i.email), [`a-${stamp}@example.com`]);
});

test("verified domains through the client's $fetch; their invitations through organizationClient", async () => {
  const stamp = Date.now();
  const domain = `domainers-${stamp}.io`;
  const owner = person();
  await signUp(owner, "Dee Owner", `dee-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Domainers", slug: `domainers-${stamp}` }), "create");
  // Kim, at the domain, has a verified account already.
  const kim = person();
  await signUp(kim, "Kim", `kim@${domain}`);
  const token = linkInOutbox(`kim@${domain}`, "email-verification").searchParams.get("token");
  ok(await kim.client.$fetch("/verify-email", { method: "POST", body: { token } }), "verify-email");

  const added = ok(
    await owner.client.$fetch("/organization/add-domain", {
      method: "POST",
      body: { organizationId: org.id, domain, method: "email", email: `it@${domain}` },
    }),
    "add-domain",
  );
  assert.equal(added.status, "pending");
  assert.equal(added.dnsRecord.name, `_gatehouse-challenge.${domain}`);
  const verified = ok(
    await owner.client.$fetch("/organization/verify-domain", {
      method: "POST",
      body: { domainId: added.id, code: codeInOutbox(`it@${domain}`) },
    }),
    "verify-domain",
  );
  assert.equal(verified.status, "verified");
  const set = ok(
    await owner.client.$fetch("/organization/set-domain-policy", {
      method: "POST",
      body: { domainId: added.id, mode: "auto_invite", roles: ["member"] },
    }),
    "set-domain-policy",
  );
  assert.equal(set.invited, 1);

  // The policy's invitation is an invitation like any other to the client.
  const inbox = ok(await kim.client.organization.listUserInvitations(), "listUserInvitations");
  assert.deepEqual(inbox.map((i) => i.organizationId), [org.id]);
  const joined = ok(await kim.client.organization.acceptInvitation({ invitationId: inbox[0].id }), "acceptInvitation");
  assert.equal(joined.member.organizationId, org.id);
  const domains = ok(
    await owner.client.$fetch("/organization/list-domains", { query: { organizationId: org.id } }),
    "list-domains",
  );
  assert.deepEqual(domains.map((d) => [d.domain, d.mode]), [[domain, "auto_invite"]]);
});

test("a person's account through the core client: sessions, password, name", async () => {
  const stamp = Date.now();
  const email = `sam-${stamp}@example.com`;
  const laptop = person();
  await signUp(laptop, "Sam", email);
  const phone = person();
  phone.session.token = ok(await phone.client.signIn.email({ email, password }), "sign in").token;
  const tablet = person();
  tablet.session.token = ok(await tablet.client.signIn.email({ email, password }), "sign in").token;

  const listed = ok(await laptop.client.listSessions(), "listSessions");
  assert.equal(listed.length, 3);
  assert.equal(listed.filter((s) => s.current).length, 1);
  const phoneId = ok(await phone.client.getSession(), "getSession").session.id;
  ok(await laptop.client.revokeSession({ token: listed.find((s) => s.id === phoneId).token }), "revokeSession");
  assert.equal(ok(await phone.client.getSession(), "getSession"), null);

  ok(await laptop.client.revokeOtherSessions(), "revokeOtherSessions");
  assert.equal(ok(await tablet.client.getSession(), "getSession"), null);
  assert.equal(ok(await laptop.client.listSessions(), "listSessions").length, 1);
  // A new password (the other devices signed out), and a new name.
  const phone2 = person();
  phone2.session.token = ok(await phone2.client.signIn.email({ email, password }), "sign in").token;
  const changed = ok(
    await laptop.client.changePassword({ currentPassword: password, newPassword: `${password} 2`, revokeOtherSessions: true }),
    "changePassword",
  );
  assert.equal(changed.user.email, email);
  assert.equal(ok(await phone2.client.getSession(), "getSession"), null);
  const wrong = await laptop.client.changePassword({ currentPassword: password, newPassword: `${password} 3` });
  assert.equal(wrong.error.code, "INVALID_PASSWORD");
  ok(await laptop.client.updateUser({ name: "Sam Samson" }), "updateUser");
  assert.equal(ok(await laptop.client.getSession(), "getSession").user.name, "Sam Samson");

  // A new address: it counts once the link sent there is followed.
  const moved = `sam-${stamp}@moved.example.com`;
  ok(await laptop.client.changeEmail({ newEmail: moved }), "changeEmail");
  assert.equal(ok(await laptop.client.getSession(), "getSession").user.email, email);
  const token = linkInOutbox(moved, "email-verification").searchParams.get("token");
  ok(await laptop.client.$fetch("/verify-email", { method: "POST", body: { token } }), "verify-email");
  assert.equal(ok(await laptop.client.getSession(), "getSession").user.email, moved);

  ok(await laptop.client.revokeSessions(), "revokeSessions");
  assert.equal(ok(await laptop.client.getSession(), "getSession"), null);
});

test("managing accounts through adminClient, and deleting one's own through the core client", async () => {
  const stamp = Date.now();
  // An admin arrives with an invitation made on the command line.
  const link = gatehouse("invite", "--role", "admin").match(/\/invite\/([A-Za-z0-9_-]{20,})/);
  assert.ok(link, "the command prints the invitation link");
  const admin = person();
  assert.equal((await signUp(admin, "Ada Admin", `ada-${stamp}@example.com`, { inviteToken: link[1] })).role, "admin");

  const email = `kim-${stamp}@example.com`;
  const kim = person();
  const kimUser = await signUp(kim, "Kim", email);
  const phone = person();
  phone.session.token = ok(await phone.client.signIn.email({ email, password }), "sign in").token;
  const userId = kimUser.id;
  const got = ok(await admin.client.admin.getUser({ query: { id: userId } }), "getUser");
  assert.equal(got.email, email);

  const { sessions } = ok(await admin.client.admin.listUserSessions({ userId }), "listUserSessions");
  assert.equal(sessions.length, 2);
  assert.ok(sessions.every((s) => s.userId === userId && s.impersonatedBy === null));
  const phoneId = ok(await phone.client.getSession(), "getSession").session.id;
  assert.deepEqual(
    ok(await admin.client.admin.revokeUserSession({ sessionToken: sessions.find((s) => s.id === phoneId).token }), "revokeUserSession"),
    { success: true },
  );
  assert.equal(ok(await phone.client.getSession(), "getSession"), null);
  ok(await admin.client.admin.revokeUserSessions({ userId }), "revokeUserSessions");
  assert.equal(ok(await kim.client.getSession(), "getSession"), null);

  // A ban with a reason and an end; sign-in is refused with both.
  const banned = ok(await admin.client.admin.banUser({ userId, banReason: "spam", banExpiresIn: 3600 }), "banUser").user;
  assert.equal(banned.banned, true);
  assert.equal(banned.banReason, "spam");
  assert.ok(new Date(banned.banExpires) > new Date());
  const refused = await kim.client.signIn.email({ email, password });
  assert.equal(refused.error.code, "BANNED_USER");
  assert.match(refused.error.message, /spam/);
  assert.equal(ok(await admin.client.admin.unbanUser({ userId }), "unbanUser").user.banned, false);
  kim.session.token = ok(await kim.client.signIn.email({ email, password }), "sign in").token;

  assert.equal(ok(await admin.client.admin.updateUser({ userId, data: { name: "Kim Kay" } }), "updateUser").name, "Kim Kay");
  const set = await admin.client.admin.setUserPassword({ userId, newPassword: "chosen by an admin" });
  assert.equal(set.error.code, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD");

  // Acting as Kim, with a reason; "stop" ends that session only.
  const support = person();
  const acted = ok(await admin.client.admin.impersonateUser({ userId, reason: "ticket 7" }), "impersonateUser");
  assert.equal(acted.user.id, userId);
  support.session.token = acted.session.token;
  const seen = ok(await support.client.getSession(), "getSession");
  assert.equal(seen.session.impersonatedBy, ok(await admin.client.getSession(), "getSession").user.id);
  ok(await support.client.admin.stopImpersonating(), "stopImpersonating");
  assert.equal(ok(await support.client.getSession(), "getSession"), null);
  assert.notEqual(ok(await kim.client.getSession(), "getSession"), null);

  assert.deepEqual(ok(await admin.client.admin.removeUser({ userId }), "removeUser"), { success: true });
  assert.equal((await kim.client.signIn.email({ email, password })).error.status, 401);

  // Deleting one's own account: the password, then the emailed link.
  const leaving = person();
  const leaver = `lee-${stamp}@example.com`;
  await signUp(leaving, "Lee", leaver);
  const wrong = await leaving.client.deleteUser({ password: "not it" });
  assert.equal(wrong.error.code, "INVALID_PASSWORD");
  assert.deepEqual(ok(await leaving.client.deleteUser({ password }), "deleteUser"), {
    success: true,
    message: "Verification email sent",
  });
  const token = linkInOutbox(leaver, "account-deletion").searchParams.get("token");
  ok(await leaving.client.$fetch("/delete-user/callback", { method: "POST", body: { token } }), "delete-user/callback");
  assert.equal(ok(await leaving.client.getSession(), "getSession"), null);
  assert.equal((await leaving.client.signIn.email({ email: leaver, password })).error.status, 401);
});

test("two-factor authentication through twoFactorClient", async () => {
  const stamp = Date.now();
  const email = `tao-${stamp}@example.com`;
  const tao = person();
  await signUp(tao, "Tao", email);

  const { totpURI, backupCodes } = ok(await tao.client.twoFactor.enable({ password }), "twoFactor.enable");
  assert.match(totpURI, /^otpauth:\/\/totp\//);
  assert.equal(backupCodes.length, 10);
  const enabled = ok(await tao.client.twoFactor.verifyTotp({ code: totpCode(totpURI) }), "twoFactor.verifyTotp");
  assert.equal(enabled.user.twoFactorEnabled, true);
  assert.equal(ok(await tao.client.twoFactor.getTotpUri({ password }), "getTotpUri").totpURI, totpURI);

  // Sign-in stops at the second step; the challenge rides in a cookie,
  // which a server-side app carries along itself.
  const phone = person();
  let challenge;
  const first = ok(
    await phone.client.signIn.email({ email, password }, {
      onResponse: (ctx) => {
        challenge = ctx.response.headers.getSetCookie().find((c) => c.startsWith("gatehouse.two_factor="))?.split(";")[0];
      },
    }),
    "signIn.email",
  );
  assert.equal(first.twoFactorRedirect, true);
  assert.equal(phone.session.redirected, 1, "the client's onTwoFactorRedirect ran");
  assert.ok(challenge, "the challenge's cookie");
  const replayed = await phone.client.twoFactor.verifyTotp({ code: totpCode(totpURI) }, { headers: { cookie: challenge } });
  assert.equal(replayed.error.code, "INVALID_CODE", "the code that turned it on is spent");
  const signedIn = ok(
    await phone.client.twoFactor.verifyTotp({ code: totpCode(totpURI, 1) }, { headers: { cookie: challenge } }),
    "verifyTotp (sign-in)",
  );
  phone.session.token = signedIn.token;
  assert.equal(ok(await phone.client.getSession(), "getSession").user.email, email);

  // A backup code, then new ones; then off.
  let second;
  await phone.client.signIn.email({ email, password }, {
    onResponse: (ctx) => {
      second = ctx.response.headers.getSetCookie().find((c) => c.startsWith("gatehouse.two_factor="))?.split(";")[0];
    },
  });
  ok(await phone.client.twoFactor.verifyBackupCode({ code: backupCodes[0] }, { headers: { cookie: second } }), "verifyBackupCode");
  const fresh = ok(await tao.client.twoFactor.generateBackupCodes({ password }), "generateBackupCodes");
  assert.equal(fresh.backupCodes.length, 10);
  ok(await tao.client.twoFactor.disable({ password }), "twoFactor.disable");
  const plain = ok(await phone.client.signIn.email({ email, password }), "signIn.email");
  assert.ok(plain.token, "one step again");
});

test("an organization that requires two-factor, through organizationClient and twoFactorClient", async () => {
  const stamp = Date.now();
  const owner = person();
  await signUp(owner, "Oona", `oona-${stamp}@example.com`);
  const org = ok(await owner.client.organization.create({ name: "Vault", slug: `vault-${stamp}` }), "create");
  const mayaEmail = `maya-${stamp}@example.com`;
  ok(await owner.client.organization.inviteMember({ email: mayaEmail, role: "member", organizationId: org.id }), "invite-member");
  const maya = person();
  await signUp(maya, "Maya", mayaEmail);
  const secret = linkInOutbox(mayaEmail, "organization-invitation").pathname.split("/").pop();
  ok(await maya.client.organization.acceptInvitation({ invitationId: secret }), "accept-invitation");

  // The owner turns it on for their own account first, then requires it.
  const refused = await owner.client.organization.update({ organizationId: org.id, data: { requireTwoFactor: true } });
  assert.equal(refused.error.code, "TWO_FACTOR_REQUIRED");
  const { totpURI } = ok(await owner.client.twoFactor.enable({ password }), "twoFactor.enable");
  ok(await owner.client.twoFactor.verifyTotp({ code: totpCode(totpURI) }), "twoFactor.verifyTotp");
  const members = ok(await owner.client.organization.listMembers({ query: { organizationId: org.id } }), "list-members");
  assert.deepEqual(
    members.members.map((m) => [m.user.email, m.user.twoFactorEnabled]).sort(),
    [[`oona-${stamp}@example.com`, true], [mayaEmail, false]].sort(),
    "who is not compliant, before it is required",
  );
  const updated = ok(
    await owner.client.organization.update({ organizationId: org.id, data: { requireTwoFactor: true } }),
    "update",
  );
  assert.equal(updated.requireTwoFactor, true);

  // Maya is held back until her account uses it too.
  const held = await maya.client.organization.getFullOrganization({ query: { organizationId: org.id } });
  assert.equal(held.error.status, 403);
  assert.equal(held.error.code, "TWO_FACTOR_REQUIRED");
  const mine = ok(await maya.client.$fetch("/gatehouse/organizations"), "gatehouse/organizations");
  assert.equal(mine.organizations[0].twoFactorNeeded, true);
  const { totpURI: hers } = ok(await maya.client.twoFactor.enable({ password }), "twoFactor.enable");
  ok(await maya.client.twoFactor.verifyTotp({ code: totpCode(hers) }), "twoFactor.verifyTotp");
  const full = ok(await maya.client.organization.getFullOrganization({ query: { organizationId: org.id } }), "get-full-organization");
  assert.equal(full.requireTwoFactor, true);
});

test("apps through the client's $fetch: registered, signed in to with the code flow, removed", async () => {
  const stamp = Date.now();
  const owner = person();
  const inviteToken = gatehouse("invite", "--role", "owner").match(/\/invite\/([A-Za-z0-9_-]{20,})/)[1];
  await signUp(owner, "Olga Owner", `olga-${stamp}@example.com`, { inviteToken });
  const org = ok(await owner.client.organization.create({ name: "Apps Co", slug: `apps-${stamp}` }), "create");
  const redirectUri = "http://127.0.0.1:4999/callback";
  const app = ok(
    await owner.client.$fetch("/admin/oauth2/create-client", {
      method: "POST",
      body: {
        client_name: "Dashboard",
        redirect_uris: [redirectUri],
        scope: "openid email profile organizations",
        skip_consent: true,
        allowed_organizations: [org.slug],
      },
    }),
    "create-client",
  );
  assert.ok(app.client_secret, "a confidential app's secret");
  assert.deepEqual(app.allowed_organizations, [org.id]);
  const listed = ok(await owner.client.$fetch("/admin/oauth2/list-clients"), "list-clients");
  assert.ok(listed.some((c) => c.client_id === app.client_id && !("client_secret" in c)));

  // The owner's session (the client's bearer token) signs in to the app.
  const authorize = new URL(`${baseURL}/api/auth/oauth2/authorize`);
  for (const [k, v] of Object.entries({
    response_type: "code", client_id: app.client_id, redirect_uri: redirectUri,
    scope: "openid email organizations", state: "xyz", nonce: "n-1",
  })) authorize.searchParams.set(k, v);
  const landed = await fetch(authorize, { redirect: "manual", headers: { authorization: `Bearer ${owner.session.token}` } });
  const back = new URL(landed.headers.get("location"));
  assert.equal(`${back.origin}${back.pathname}`, redirectUri);
  assert.equal(back.searchParams.get("state"), "xyz");
  assert.equal(back.searchParams.get("iss"), baseURL);
  const tokens = await fetch(`${baseURL}/api/auth/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code: back.searchParams.get("code"), redirect_uri: redirectUri }),
  });
  assert.equal(tokens.status, 200);
  assert.equal(tokens.headers.get("cache-control"), "no-store");
  const { access_token, id_token } = await tokens.json();
  const claims = JSON.parse(Buffer.from(id_token.split(".")[1], "base64url"));
  assert.equal(claims.nonce, "n-1");
  assert.equal(claims.email, `olga-${stamp}@example.com`);
  // An organization begins with a team of its name (Better Auth's default team).
  assert.deepEqual(claims.groups, [org.slug, `${org.slug}:owner`, `${org.slug}/apps-co`]);
  const info = await (await fetch(`${baseURL}/api/auth/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).json();
  assert.equal(info.sub, claims.sub);

  // The command line registers apps and rotates the signing key, as an
  // operator does on the server.
  const printed = gatehouse(
    "app", "add", "--name", "Wiki", "--redirect-uri", "https://wiki.example.com/cb",
    "--allow-org", org.slug, "--allow-team", `${org.slug}/apps-co`, "--scope", "openid email",
  );
  const cliId = printed.match(/^client_id=(\S+)$/m)[1];
  assert.match(printed, /^client_secret=\S{40,}$/m);
  const cliApp = ok(await owner.client.$fetch("/admin/oauth2/get-client", { query: { client_id: cliId } }), "get-client");
  assert.equal(cliApp.client_name, "Wiki");
  assert.deepEqual(cliApp.allowed_organizations, [org.id]);
  assert.equal(cliApp.allowed_teams.length, 1);
  const before = (await (await fetch(`${baseURL}/api/auth/jwks`)).json()).keys.map((k) => k.kid);
  const kid = gatehouse("keys", "rotate").trim();
  const after = (await (await fetch(`${baseURL}/api/auth/jwks`)).json()).keys.map((k) => k.kid);
  assert.deepEqual(after, [kid, ...before], "the new key first, the old one still published");

  const removed = ok(
    await owner.client.$fetch("/admin/oauth2/delete-client", { method: "POST", body: { client_id: app.client_id } }),
    "delete-client",
  );
  assert.equal(removed.status, true);
  const gone = await fetch(`${baseURL}/api/auth/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(gone.status, 401, "its tokens end with it");
});
