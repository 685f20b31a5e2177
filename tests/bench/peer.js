// The benchmark's peer: the official Okta Node.js SDK doing the same work as
// the SQL workloads. Usage: node peer.js <workload> <concurrency>
// Prints {"rows": n} on stdout. Org and token come from OKTA_CLIENT_*.
'use strict';
const okta = require('@okta/okta-sdk-nodejs');

const client = new okta.Client({
  orgUrl: process.env.OKTA_CLIENT_ORGURL,
  token: process.env.OKTA_CLIENT_TOKEN,
});

// Runs fn over items with at most `limit` calls in flight.
async function pool(items, limit, fn) {
  let next = 0;
  const workers = [];
  for (let w = 0; w < Math.max(1, limit); w++) {
    workers.push((async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]);
      }
    })());
  }
  await Promise.all(workers);
}

async function drain(collection, each) {
  let n = 0;
  for await (const item of collection) {
    if (each) each(item);
    n++;
  }
  return n;
}

// Every user, DEPROVISIONED included (the plain list leaves them out).
async function allUsers(each) {
  const users = [];
  const keep = (u) => { users.push(u); if (each) each(u); };
  await drain(await client.userApi.listUsers({ limit: 200 }), keep);
  await drain(await client.userApi.listUsers({ limit: 200, filter: 'status eq "DEPROVISIONED"' }), keep);
  return users;
}

const len = (v) => (v === null || v === undefined ? 0 : typeof v === 'string' ? v.length : JSON.stringify(v).length);

async function factorsOf(users, concurrency) {
  let rows = 0;
  await pool(users, concurrency, async (u) => {
    { const n = await drain(await client.userFactorApi.listFactors({ userId: u.id })); rows += n; }
  });
  return rows;
}

const workloads = {
  async count() {
    return (await allUsers()).length;
  },
  async columns() {
    let total = 0;
    const users = await allUsers((u) => {
      const p = u.profile || {};
      total += len(u.id) + len(u.status) + len(p.login) + len(p.email) + len(p.firstName) + len(p.lastName) +
        len(p.userType) + len(u.created) + len(u.activated) + len(u.statusChanged) + len(u.lastLogin) +
        len(u.lastUpdated) + len(u.passwordChanged) + len(u.transitioningToStatus) + len(u.type && u.type.id) +
        len(u.profile) + len(u.credentials);
    });
    if (total === 0) throw new Error('no data');
    return users.length;
  },
  async factors(concurrency) {
    return factorsOf(await allUsers(), concurrency);
  },
  async join(concurrency) {
    return factorsOf(await allUsers(), concurrency);
  },
  // The same sources the graph reads, and one row per edge-ish item.
  async graph(concurrency) {
    let rows = 0;
    const users = await allUsers();
    rows += users.length * 2; // account HAS user, user IS person
    const groups = [];
    await drain(await client.groupApi.listGroups({ limit: 10000, expand: 'stats' }), (g) => groups.push(g));
    rows += groups.length;
    const everyone = groups.find((g) => g.type === 'BUILT_IN' && g.profile.name === 'Everyone');
    if (everyone) rows += users.length;
    await pool(groups.filter((g) => g !== everyone), concurrency, async (g) => {
      { const n = await drain(await client.groupApi.listGroupUsers({ groupId: g.id, limit: 1000 })); rows += n; }
    });
    const apps = [];
    await drain(await client.applicationApi.listApplications({ limit: 200 }), (a) => apps.push(a));
    rows += apps.length;
    await pool(apps, concurrency, async (a) => {
      { const n = await drain(await client.applicationApi.listApplicationUsers({ appId: a.id, limit: 500 })); rows += n; }
      { const n = await drain(await client.applicationApi.listApplicationGroupAssignments({ appId: a.id, limit: 200 })); rows += n; }
    });
    { const n = await factorsOf(users, concurrency); rows += n; }
    // This listing is paged in its body ({value, _links.next}), not by Link headers.
    const admins = [];
    let after;
    for (;;) {
      const page = await client.roleAssignmentApi.listUsersWithRoleAssignments({ limit: 100, after });
      admins.push(...(page.value || []));
      const next = page._links && page._links.next && page._links.next.href;
      if (!next) break;
      after = new URL(next).searchParams.get('after');
    }
    await pool(admins, concurrency, async (a) => {
      { const n = await drain(await client.roleAssignmentApi.listAssignedRolesForUser({ userId: a.id })); rows += n; }
    });
    const adminGroups = groups.filter((g) => g._embedded && g._embedded.stats && g._embedded.stats.hasAdminPrivilege);
    await pool(adminGroups, concurrency, async (g) => {
      { const n = await drain(await client.roleAssignmentApi.listGroupAssignedRoles({ groupId: g.id })); rows += n; }
    });
    { const n = await drain(await client.groupApi.listGroupRules({ limit: 200 })); rows += n; }
    const since = new Date(Date.now() - 90 * 86400 * 1000).toISOString();
    for (const t of ['application.lifecycle.create', 'application.lifecycle.update']) {
      { const n = await drain(await client.systemLogApi.listLogEvents({
        since, until: new Date().toISOString(), filter: `eventType eq "${t}"`, limit: 1000,
      })); rows += n; }
    }
    await client.orgSettingApi.getOrgSettings();
    return rows;
  },
};

(async () => {
  const [name, concurrency] = process.argv.slice(2);
  const rows = await workloads[name](parseInt(concurrency || '1', 10));
  process.stdout.write(JSON.stringify({ rows }) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
