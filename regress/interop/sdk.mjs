// Interop: the real @directus/sdk against tokend.  Prints one line per
// check, "ok NAME" or "FAILED NAME (...)", like the rest of regress/.
// usage: node sdk.mjs URL EMAIL PASSWORD STATIC_TOKEN
import { createDirectus, authentication, rest, staticToken, readMe,
    refresh, logout, serverPing } from '@directus/sdk';

const [url, email, password, token] = process.argv.slice(2);
let failed = 0;

function check(name, cond, why) {
	if (cond)
		console.log(`ok ${name}`);
	else {
		console.log(`FAILED ${name}${why ? ` (${why})` : ''}`);
		failed++;
	}
}

async function step(name, fn) {
	try {
		await fn();
	} catch (e) {
		check(name, false, JSON.stringify(e?.errors ?? e?.message ?? e));
	}
}

const client = createDirectus(url).with(authentication('json')).with(rest());

await step('sdk_ping', async () => {
	check('sdk_ping', (await client.request(serverPing())) === 'pong');
});
let first;
await step('sdk_login_json', async () => {
	first = await client.login(email, password);
	check('sdk_login_json', typeof first.access_token === 'string' &&
	    first.refresh_token?.length === 64 && first.expires > 0);
});
await step('sdk_read_me', async () => {
	const me = await client.request(readMe());
	check('sdk_read_me', me.email === email && me.password === '**********');
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
	try {
		await plain.request(refresh('json', first.refresh_token));
		check('sdk_refresh_refused', false, 'refresh accepted');
	} catch (e) {
		check('sdk_refresh_refused',
		    e?.errors?.[0]?.extensions?.code === 'INVALID_CREDENTIALS',
		    JSON.stringify(e?.errors));
	}
});
await step('sdk_static_token', async () => {
	const s = createDirectus(url).with(staticToken(token)).with(rest());
	const me = await s.request(readMe());
	check('sdk_static_token', me.email === email);
});
await step('sdk_error_code', async () => {
	const bad = createDirectus(url).with(authentication('json')).with(rest());
	try {
		await bad.login(email, 'wrong password');
		check('sdk_error_code', false, 'login accepted');
	} catch (e) {
		check('sdk_error_code',
		    e?.errors?.[0]?.extensions?.code === 'INVALID_CREDENTIALS');
	}
});
process.exit(failed ? 1 : 0);
