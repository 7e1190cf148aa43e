// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: @directus/sdk's access commands (readPolicies, readPolicy,
// readPolicyGlobals, readRoles, readRolesMe, readPermissions,
// readUserPermissions, readItemPermissions) against tokend, as an
// administrator, a user with app access, one without and the public.
// The members of each row are those Directus 11.3.5 answers with.
// usage: node policies.mjs URL ADMIN_TOKEN APP_TOKEN READER_TOKEN ITEM
import { createDirectus, rest, staticToken, readPolicies, readPolicy,
    readPolicyGlobals, readRoles, readRolesMe, readPermissions,
    readUserPermissions, readItemPermissions } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, adminToken, appToken, readerToken, item] = process.argv.slice(2);
const as = (t) => createDirectus(url).with(staticToken(t)).with(rest());
const admin = as(adminToken), app = as(appToken), reader = as(readerToken);
const pub = createDirectus(url).with(rest());
const PUBLIC = 'abf8a154-5b1c-4a46-ac9c-7300570f4f17';
const keys = (o) => Object.keys(o).join(',');
const POLICY = 'id,name,icon,description,ip_access,enforce_tfa,' +
    'admin_access,app_access,permissions,users,roles';
const ROLE = 'id,name,icon,description,parent,children,policies,users';
const ROLE_APP = 'id,name,icon,description,parent,children,users';
const PERMISSION = 'id,collection,action,permissions,validation,presets,' +
    'fields,policy';

await step('sdk_read_policies', async () => {
	const list = await admin.request(readPolicies());
	check('sdk_read_policies', list.length === 4 &&
	    list.every((p) => keys(p) === POLICY), keys(list[0] ?? {}));
});
await step('sdk_read_policies_query', async () => {
	const list = await admin.request(readPolicies({ fields: ['name'],
	    filter: { admin_access: { _eq: true } }, sort: ['-name'] }));
	check('sdk_read_policies_query', list.length === 1 &&
	    list[0].name === 'Administrator' && keys(list[0]) === 'name');
});
await step('sdk_read_policies_search', async () => {
	await refused('sdk_read_policies_search',
	    () => admin.request(readPolicies({ search: 'editor' })),
	    'INVALID_QUERY', 'search ignored');
});
await step('sdk_read_policy', async () => {
	const p = await admin.request(readPolicy(PUBLIC));
	check('sdk_read_policy', p.id === PUBLIC && keys(p) === POLICY &&
	    p.name === '$t:public_label' && p.permissions.length === 1);
});
await step('sdk_read_policies_app', async () => {
	await refused('sdk_read_policies_app',
	    () => app.request(readPolicies()), 'FORBIDDEN', 'read');
});
await step('sdk_read_policy_globals', async () => {
	const a = await app.request(readPolicyGlobals());
	const r = await reader.request(readPolicyGlobals());
	const p = await pub.request(readPolicyGlobals());
	check('sdk_read_policy_globals', a.app_access === true &&
	    a.admin_access === false && a.enforce_tfa === false &&
	    r.app_access === false && keys(p) === 'app_access' &&
	    p.app_access === false);
});
await step('sdk_read_roles', async () => {
	const list = await admin.request(readRoles());
	const mine = await app.request(readRoles());
	check('sdk_read_roles', list.length === 3 &&
	    list.every((r) => keys(r) === ROLE) && mine.length === 1 &&
	    keys(mine[0]) === ROLE_APP && mine[0].name === 'editor');
});
await step('sdk_read_roles_reader', async () => {
	await refused('sdk_read_roles_reader',
	    () => reader.request(readRoles()), 'FORBIDDEN', 'read');
});
await step('sdk_read_roles_me', async () => {
	const a = await admin.request(readRolesMe());
	const p = await app.request(readRolesMe());
	const r = await reader.request(readRolesMe());
	check('sdk_read_roles_me', a.length === 1 && keys(a[0]) === ROLE &&
	    p.length === 1 && keys(p[0]) === ROLE_APP &&
	    r.length === 1 && keys(r[0]) === 'id');
});
await step('sdk_read_roles_me_public', async () => {
	await refused('sdk_read_roles_me_public',
	    () => pub.request(readRolesMe()), 'FORBIDDEN', 'read');
});
await step('sdk_read_permissions', async () => {
	const list = await admin.request(readPermissions());
	const rows = list.filter((p) => !p.system);
	check('sdk_read_permissions', rows.length === 5 &&
	    rows.every((p) => keys(p) === PERMISSION) &&
	    rows.filter((p) => p.policy === PUBLIC).length === 1 &&
	    list.length > rows.length);
});
await step('sdk_read_permissions_app', async () => {
	await refused('sdk_read_permissions_app',
	    () => app.request(readPermissions()), 'FORBIDDEN', 'read');
});
await step('sdk_read_user_permissions', async () => {
	const a = await app.request(readUserPermissions());
	const r = await reader.request(readUserPermissions());
	check('sdk_read_user_permissions',
	    a.articles.read.access === 'full' &&
	    a.articles.update.access === 'partial' &&
	    a.articles.update.fields.join() === 'title' &&
	    a.articles.delete.access === 'none' &&
	    a.directus_users.read.access === 'partial' &&
	    r.articles.read.access === 'partial' &&
	    r.articles.read.fields.join() === 'id,title,status' &&
	    keys(r) === 'articles', JSON.stringify(r));
});
await step('sdk_read_item_permissions', async () => {
	const a = await app.request(readItemPermissions('articles', item));
	const r = await reader.request(readItemPermissions('articles', item));
	const c = await reader.request(readItemPermissions('articles'));
	check('sdk_read_item_permissions', a.update.access === true &&
	    a.delete.access === false && a.share.access === false &&
	    r.update.access === false && r.delete.access === true &&
	    c.delete.access === true && c.update.access === false,
	    JSON.stringify([a, r, c]));
});
done();
