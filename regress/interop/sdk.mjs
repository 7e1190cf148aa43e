// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: the real @directus/sdk against tokend.  Prints one line per
// check, "ok NAME" or "FAILED NAME (...)", like the rest of regress/.
// usage: node sdk.mjs URL EMAIL PASSWORD STATIC_TOKEN
import { createDirectus, authentication, rest, staticToken, readMe,
    refresh, logout, serverPing, readUsers, readUser, createUser,
    updateUser, deleteUser } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, email, password, token] = process.argv.slice(2);

const client = createDirectus(url).with(authentication('json')).with(rest());

await step('sdk_ping', async () => {
	check('sdk_ping', (await client.request(serverPing())) === 'pong');
});
let first;
await step('sdk_login_json', async () => {
	first = await client.login(email, password);
	check('sdk_login_json', typeof first.access_token === 'string' &&
	    first.refresh_token?.length === 60 && first.expires > 0);
});
await step('sdk_read_me', async () => {
	const me = await client.request(readMe());
	check('sdk_read_me', me.email === email && me.password === '**********');
});
// The /users admin API (the SDK's user is an administrator).
let made;
await step('sdk_create_user', async () => {
	made = await client.request(createUser({ email: 'sdk-made@example.com',
	    password: 'made password', first_name: 'Sdk Made' }));
	check('sdk_create_user', typeof made.id === 'string' &&
	    made.email === 'sdk-made@example.com' &&
	    made.password === '**********' && made.status === 'active');
});
await step('sdk_read_users', async () => {
	const list = await client.request(readUsers({
	    filter: { first_name: { _eq: 'Sdk Made' } },
	    fields: ['id', 'email'], sort: ['-email'], limit: 10 }));
	check('sdk_read_users', Array.isArray(list) && list.length === 1 &&
	    list[0].id === made.id && Object.keys(list[0]).length === 2,
	    JSON.stringify(list));
});
await step('sdk_update_user', async () => {
	const u = await client.request(updateUser(made.id,
	    { last_name: 'Changed', status: 'suspended' },
	    { fields: ['last_name', 'status'] }));
	check('sdk_update_user', u.last_name === 'Changed' &&
	    u.status === 'suspended' && Object.keys(u).length === 2,
	    JSON.stringify(u));
});
await step('sdk_read_user', async () => {
	const u = await client.request(readUser(made.id));
	check('sdk_read_user', u.id === made.id && u.last_name === 'Changed');
});
await step('sdk_delete_user', async () => {
	await client.request(deleteUser(made.id));
	await refused('sdk_delete_user',
	    () => client.request(readUser(made.id)),
	    'FORBIDDEN', 'still readable');
});
await step('sdk_refresh', async () => {
	const r = await client.refresh();
	check('sdk_refresh', r.refresh_token !== first.refresh_token &&
	    typeof r.access_token === 'string');
});
await step('sdk_read_me_after_refresh', async () => {
	const me = await client.request(readMe({ fields: ['id', 'email'] }));
	check('sdk_read_me_after_refresh', me.email === email &&
	    Object.keys(me).length === 2);
});
await step('sdk_logout', async () => {
	await client.logout();
	check('sdk_logout', true);
});
// The session is gone: the old refresh token no longer works, and the
// error surfaces as errors[0].extensions.code.
await step('sdk_refresh_refused', async () => {
	const plain = createDirectus(url).with(rest());
	await refused('sdk_refresh_refused',
	    () => plain.request(refresh('json', first.refresh_token)),
	    'INVALID_CREDENTIALS', 'refresh accepted');
});
await step('sdk_static_token', async () => {
	const s = createDirectus(url).with(staticToken(token)).with(rest());
	const me = await s.request(readMe());
	check('sdk_static_token', me.email === email);
});
await step('sdk_error_code', async () => {
	const bad = createDirectus(url).with(authentication('json')).with(rest());
	await refused('sdk_error_code',
	    () => bad.login(email, 'wrong password'),
	    'INVALID_CREDENTIALS', 'login accepted');
});
done();
