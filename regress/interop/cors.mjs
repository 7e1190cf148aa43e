// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// The real @directus/sdk in cookie mode ({credentials: 'include'}), as a
// browser application on another origin uses it: a fetch that plays
// the browser's part, sending the page's Origin and the cookies tokend
// set, and refusing an answer that does not allow that origin with
// credentials (CORS), as a browser does.  Prints "ok NAME" or
// "FAILED NAME (...)" per check.
// usage: node cors.mjs URL EMAIL PASSWORD ALLOWED-ORIGIN OTHER-ORIGIN
import { createDirectus, authentication, rest, readMe, refresh,
    logout } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, email, password, allowed, other] = process.argv.slice(2);

// browser(ORIGIN): a fetch with a cookie jar of its own, as a page on
// ORIGIN would send it; answers that CORS does not open to the page
// fail as in a browser ("Failed to fetch").
function browser(origin) {
	const jar = new Map();
	const f = async (input, init = {}) => {
		const headers = new Headers(init.headers ?? {});
		headers.set('Origin', origin);
		if (jar.size > 0)
			headers.set('Cookie', [...jar].map(([k, v]) =>
			    `${k}=${v}`).join('; '));
		const res = await fetch(input, { ...init, headers });
		for (const c of res.headers.getSetCookie()) {
			const kv = c.split(';')[0];
			const i = kv.indexOf('=');
			if (/;\s*Max-Age=0/i.test(c))
				jar.delete(kv.slice(0, i));
			else
				jar.set(kv.slice(0, i), kv.slice(i + 1));
		}
		if (res.headers.get('access-control-allow-origin') !== origin ||
		    res.headers.get('access-control-allow-credentials') !== 'true')
			throw new TypeError('Failed to fetch (CORS)');
		return res;
	};
	f.jar = jar;
	return f;
}

const page = browser(allowed);
const client = createDirectus(url, { globals: { fetch: page } })
    .with(authentication('cookie', { credentials: 'include' }))
    .with(rest({ credentials: 'include' }));

await step('sdk_cors_login_cookie', async () => {
	const r = await client.login(email, password);
	check('sdk_cors_login_cookie', typeof r.access_token === 'string' &&
	    page.jar.has('directus_refresh_token') && !r.refresh_token,
	    JSON.stringify(r));
});
await step('sdk_cors_read_me', async () => {
	const me = await client.request(readMe());
	check('sdk_cors_read_me', me.email === email);
});
// A reload: a new client on the same page (its cookie jar), no token
// in memory, refreshed from the refresh cookie alone.
const reloaded = createDirectus(url, { globals: { fetch: page } })
    .with(authentication('cookie', { credentials: 'include' }))
    .with(rest({ credentials: 'include' }));
await step('sdk_cors_reload_refresh', async () => {
	const before = page.jar.get('directus_refresh_token');
	const r = await reloaded.refresh();
	check('sdk_cors_reload_refresh', typeof r.access_token === 'string' &&
	    page.jar.get('directus_refresh_token') !== before);
});
await step('sdk_cors_reload_read_me', async () => {
	const me = await reloaded.request(readMe());
	check('sdk_cors_reload_read_me', me.email === email);
});
await step('sdk_cors_logout', async () => {
	await reloaded.logout();
	check('sdk_cors_logout', !page.jar.has('directus_refresh_token'));
});
// The logout cleared the cookie: nothing to refresh with (Directus's
// words).
await step('sdk_cors_refresh_after_logout', async () => {
	await refused('sdk_cors_refresh_after_logout',
	    () => reloaded.request(refresh('cookie')), 'INVALID_PAYLOAD',
	    'a refresh after logout worked');
});

// Another origin: the browser refuses it every answer, and tokend
// refuses its cookie-authenticated refresh outright.
const evil = browser(other);
const foreign = createDirectus(url, { globals: { fetch: evil } })
    .with(authentication('cookie', { credentials: 'include' }))
    .with(rest({ credentials: 'include' }));
await step('sdk_cors_other_origin_refused', async () => {
	let why = 'the login was let through';
	try {
		await foreign.login(email, password);
	} catch (e) {
		why = e?.message ?? '';
	}
	check('sdk_cors_other_origin_refused', /CORS/.test(why), why);
});
await step('sdk_cors_other_origin_csrf', async () => {
	// The cookie the login set (the answer reached the jar, not the page).
	const res = await fetch(`${url}/auth/refresh`, { method: 'POST',
	    headers: { Origin: other, 'Content-Type': 'application/json',
	    Cookie: `directus_refresh_token=${evil.jar.get('directus_refresh_token')}` },
	    body: '{"mode":"cookie"}' });
	const body = await res.json();
	check('sdk_cors_other_origin_csrf', res.status === 403 &&
	    body.errors?.[0]?.extensions?.code === 'FORBIDDEN',
	    `${res.status} ${JSON.stringify(body)}`);
});
done();
