// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: invites and public registration with the real @directus/sdk:
// inviteUser, acceptUserInvite, registerUser, registerUserVerify.  The
// tokens come from the mails, which regress/daemon/sdkaccounts.sh reads
// between the steps.
// usage: node accounts.mjs URL invite ADMIN PASSWORD ROLE EMAIL INVITE_URL
//            EMAIL_A EMAIL_B
//        node accounts.mjs URL accept TOKEN PASSWORD EMAIL [TAG]
//        node accounts.mjs URL register EMAIL PASSWORD VERIFY_URL KNOWN
//        node accounts.mjs URL verify TOKEN EMAIL PASSWORD
// TAG names the checks of a second accept apart.  Every success is 204
// without a body, which the SDK hands back as the Response itself (no
// Content-Type: neither JSON nor text to parse).
import { createDirectus, authentication, rest, readMe, inviteUser,
    acceptUserInvite, registerUser, registerUserVerify } from '@directus/sdk';
import { check, step, done } from './check.mjs';

const [url, what, ...args] = process.argv.slice(2);

function client() {
	return createDirectus(url).with(authentication('json')).with(rest());
}

// The SDK's answer to a success: the bare Response of a 204.
function noContent(name, r) {
	check(name, r?.status === 204 && r.headers.get('content-type') ===
	    null, `${r?.status} ${r?.headers?.get('content-type')}`);
}

// FN must throw the SDK's error, {errors, response}, with this status,
// code and message (Directus's words).
async function thrown(name, fn, status, code, message) {
	try {
		await fn();
		check(name, false, 'no error');
	} catch (e) {
		const err = e?.errors?.[0];
		check(name, Array.isArray(e?.errors) &&
		    e.response?.status === status &&
		    err?.extensions?.code === code && err?.message === message,
		    `${e?.response?.status} ${JSON.stringify(e?.errors ?? e)}`);
	}
}

// Logs in with the SDK and reads itself back.
async function loginWorks(name, email, password) {
	await step(name, async () => {
		const c = client();
		await c.login(email, password);
		const me = await c.request(readMe({ fields: ['email',
		    'status'] }));
		check(name, me.email === email && me.status === 'active',
		    JSON.stringify(me));
	});
}

if (what === 'invite') {
	const [admin, password, role, email, inviteUrl, a, b] = args;
	const c = client();
	await step('sdk_invite_login', async () => {
		await c.login(admin, password);
		check('sdk_invite_login', true);
	});
	await step('sdk_invite_one', async () => noContent('sdk_invite_one',
	    await c.request(inviteUser(email, role, inviteUrl))));
	await step('sdk_invite_array', async () =>
	    noContent('sdk_invite_array',
	    await c.request(inviteUser([a, b], role))));
	await thrown('sdk_invite_url_refused',
	    () => c.request(inviteUser(email, role, 'http://evil.test/invite')),
	    400, 'INVALID_PAYLOAD', 'Invalid payload. URL ' +
	    '"http://evil.test/invite" can\'t be used to invite users.');
	await thrown('sdk_invite_public_403',
	    () => client().request(inviteUser(email, role)), 403, 'FORBIDDEN',
	    'You don\'t have permission to "create" from collection ' +
	    '"directus_users" or it does not exist.');
} else if (what === 'accept') {
	const [token, password, email, tag] = args;
	const n = (name) => tag ? `${name}_${tag}` : name;
	await step(n('sdk_accept_invite'), async () =>
	    noContent(n('sdk_accept_invite'),
	    await client().request(acceptUserInvite(token, password))));
	await loginWorks(n('sdk_accept_login'), email, password);
	await thrown(n('sdk_accept_invite_twice'),
	    () => client().request(acceptUserInvite(token, 'another one')),
	    400, 'INVALID_PAYLOAD',
	    `Invalid payload. Email address ${email} hasn't been invited.`);
	if (!tag)
		await thrown('sdk_accept_invite_garbage',
		    () => client().request(acceptUserInvite('abc.def.ghi',
		    'x')), 403, 'INVALID_TOKEN', 'Invalid token.');
} else if (what === 'register') {
	const [email, password, verifyUrl, known] = args;
	let fresh, again;
	await step('sdk_register', async () => {
		fresh = await client().request(registerUser(email, password,
		    { verification_url: verifyUrl, first_name: 'Sdk',
		    last_name: 'User' }));
		noContent('sdk_register', fresh);
	});
	// A known address: the same answer, the same header names.
	await step('sdk_register_known_same', async () => {
		again = await client().request(registerUser(known, 'other',
		    { first_name: 'Changed' }));
		const names = (r) => [...r.headers.keys()].filter((k) =>
		    k !== 'date').sort().join(' ');
		check('sdk_register_known_same', again?.status === 204 &&
		    names(again) === names(fresh),
		    `${again?.status} [${names(again)}] [${names(fresh)}]`);
	});
	await thrown('sdk_register_unverified_no_login',
	    () => client().login(email, password), 401, 'INVALID_CREDENTIALS',
	    'Invalid user credentials.');
	await thrown('sdk_register_url_refused',
	    () => client().request(registerUser(email, password,
	    { verification_url: 'http://evil.test/verify' })), 400,
	    'INVALID_PAYLOAD', 'Invalid payload. URL ' +
	    '"http://evil.test/verify" can\'t be used to verify registered ' +
	    'users.');
	await thrown('sdk_register_extra_option',
	    () => client().request(registerUser(email, password,
	    { role: 'x' })), 400, 'INVALID_PAYLOAD',
	    'Invalid payload. "role" is not allowed.');
} else if (what === 'verify') {
	const [token, email, password] = args;
	await thrown('sdk_verify_bad_token',
	    () => client().request(registerUserVerify('garbage')), 403,
	    'INVALID_TOKEN', 'Invalid token.');
	// tokend answers 204 where Directus redirects to its admin app,
	// which the SDK would follow and hand back as HTML.
	await step('sdk_verify', async () => noContent('sdk_verify',
	    await client().request(registerUserVerify(token))));
	await loginWorks('sdk_verify_login', email, password);
	await thrown('sdk_verify_twice',
	    () => client().request(registerUserVerify(token)), 400,
	    'INVALID_PAYLOAD', 'Invalid payload. Invalid verification code.');
} else {
	check('sdk_accounts_usage', false, `unknown step ${what}`);
}
done();
