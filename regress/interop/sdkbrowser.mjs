// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// @directus/sdk's browser build in a real browser (Chromium, through
// chromium.mjs), on a page of another origin than tokend's: a little
// static server of this script serves the page and the SDK's own
// dist/index.js from node_modules (no CDN) on two loopback ports.
//
// The origins, and why the test proves what it says.  tokend is
// http://127.0.0.1:P.  A site is the scheme and the registrable host,
// ports aside, so http://127.0.0.1:A (the allowed CORS origin) and
// http://127.0.0.1:B (not allowed) are other origins of tokend's own
// site, while http://localhost:B is another site.  tokend's cookies are
// SameSite=Lax, and not Secure over http (SameSite=None would need
// Secure, which a browser refuses from http: no test of None here).
// - On the allowed origin, a fetch with credentials: 'include' is
//   same-site, so the browser keeps and sends the Lax refresh cookie,
//   and CORS lets the page read the answers: login, readMe, a reload
//   followed by refresh from the cookie alone, logout.
// - On http://127.0.0.1:B the browser refuses the page every answer
//   (CORS), and a form it submits to tokend is same-site, so the
//   browser DOES send the Lax cookie with it: SameSite does not help,
//   and only tokend's cross-site rule (Origin of an allowed origin or
//   of tokend) refuses it, 403.  This is the case that proves the rule.
// - From http://localhost:B the same form is cross-site: a Lax cookie
//   is not sent with a cross-site POST, and tokend sees no credential
//   at all (the contrast: there SameSite alone is enough).
// usage: node sdkbrowser.mjs URL CHROMIUM OUTDIR EMAIL PASSWORD PORT_A PORT_B
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { launch, newPage } from './chromium.mjs';
import { check, step, done } from './check.mjs';

const [api, chromium, out, email, password, portA, portB] =
    process.argv.slice(2);
const allowed = `http://127.0.0.1:${portA}`;
const sameSite = `http://127.0.0.1:${portB}`;
const crossSite = `http://localhost:${portB}`;

// The browser build: ES module, no import of its own.
const sdk = readFileSync(new URL(
    './node_modules/@directus/sdk/dist/index.js', import.meta.url));
const files = {
	'/sdk.js': ['text/javascript', sdk],
	'/app.html': ['text/html', '<!doctype html><title>app</title>' +
	    '<script type="module" src="/app.js"></script><p>app</p>'],
	'/app.js': ['text/javascript', "import * as directus from " +
	    "'/sdk.js';\nwindow.directus = directus;\n"],
	// A page of another origin that submits a form to tokend at once,
	// with no field: an empty text/plain body, the cookie (if the
	// browser sends it) the only credential.
	'/form.html': ['text/html', '<!doctype html><title>form</title>' +
	    '<form method="post" enctype="text/plain"></form>' +
	    '<script src="/form.js"></script>'],
	'/form.js': ['text/javascript', "const f = document.forms[0];\n" +
	    "f.action = new URLSearchParams(location.search).get('to');\n" +
	    "f.submit();\n"],
};
function serve(req, res) {
	const f = files[new URL(req.url, 'http://x').pathname];
	if (f === undefined) {
		res.writeHead(404).end();
		return;
	}
	res.writeHead(200, { 'Content-Type': f[0] }).end(f[1]);
}
const servers = [portA, portB].map((p) =>
    createServer(serve).listen(Number(p), '127.0.0.1'));
await Promise.all(servers.map((s) => new Promise((ok) =>
    s.listening ? ok() : s.once('listening', ok))));

const problems = [];
const browser = await launch(chromium, `${out}/profile-sdk`);
const ctx = await browser.createBrowserContext();
const page = await newPage(ctx, problems);

async function open(p, origin) {
	await p.goto(`${origin}/app.html`);
	await p.waitForFunction(() => window.directus !== undefined);
}
// In the page: a new cookie-mode client (a reload has none in memory)
// and what it is asked to do; the error's message or Directus code.
function inPage(p, what) {
	return p.evaluate(async (url, what, email, password) => {
		const { createDirectus, authentication, rest, readMe } =
		    window.directus;
		const c = createDirectus(url)
		    .with(authentication('cookie', { credentials: 'include' }))
		    .with(rest({ credentials: 'include' }));
		try {
			if (what === 'login') {
				const r = await c.login(email, password);
				const me = await c.request(readMe());
				return { access: typeof r.access_token,
				    refresh: r.refresh_token ?? null,
				    email: me.email };
			}
			if (what === 'refresh') {
				const r = await c.refresh();
				const me = await c.request(readMe());
				return { access: typeof r.access_token,
				    email: me.email };
			}
			if (what === 'logout') {
				await c.refresh();
				await c.logout();
				return { done: true };
			}
			const me = await c.request(readMe());
			return { email: me.email };
		} catch (e) {
			return { error: e?.errors?.[0]?.extensions?.code ??
			    `${e?.name}: ${e?.message}` };
		}
	}, api, what, email, password);
}
async function refreshCookie() {
	return (await ctx.cookies(api)).find((c) =>
	    c.name === 'directus_refresh_token');
}
// Submit the form of ORIGIN's page to tokend's PATH; tokend's answer.
async function formPost(origin, path) {
	// tokend's refusal is this page's console error: not a problem.
	const p = await newPage(ctx, []);
	await Promise.all([p.waitForNavigation({ url: `${api}${path}` }),
	    p.goto(`${origin}/form.html?to=${encodeURIComponent(api + path)}`)]);
	let json;
	try {
		json = JSON.parse(await p.$eval('body', (b) => b.innerText));
	} catch (e) {
		json = null;
	}
	await p.close();
	return json?.errors?.[0] ?? json;
}

await step('sdk_browser_login', async () => {
	await open(page, allowed);
	const r = await inPage(page, 'login');
	const c = await refreshCookie();
	check('sdk_browser_login', r.access === 'string' && r.refresh ===
	    null && c?.httpOnly && c?.sameSite === 'Lax' && !c?.secure,
	    `${JSON.stringify(r)} ${JSON.stringify(c)}`);
	// The same client, its access token in memory.
	check('sdk_browser_read_me', r.email === email, r.email);
});
await step('sdk_browser_reload_refresh', async () => {
	const before = (await refreshCookie())?.value;
	await page.reload();
	await page.waitForFunction(() => window.directus !== undefined);
	const r = await inPage(page, 'refresh');
	check('sdk_browser_reload_refresh', r.access === 'string' &&
	    r.email === email && (await refreshCookie())?.value !== before,
	    JSON.stringify(r));
});
await step('sdk_browser_logout', async () => {
	const r = await inPage(page, 'logout');
	const after = await inPage(page, 'refresh');
	check('sdk_browser_logout', r.done && await refreshCookie() ===
	    undefined && after.error === 'INVALID_PAYLOAD',
	    `${JSON.stringify(r)} ${JSON.stringify(after)}`);
});
// That refused refresh is a console error of the page: expected.
problems.length = 0;

// Not an allowed origin: the browser lets the page read no answer.
for (const [name, origin] of [['same_site', sameSite],
    ['cross_site', crossSite]]) {
	await step(`sdk_browser_${name}_origin_refused`, async () => {
		const p = await newPage(ctx, problems);
		await open(p, origin);
		const r = await inPage(p, 'login');
		check(`sdk_browser_${name}_origin_refused`,
		    /TypeError: Failed to fetch/.test(r.error ?? ''),
		    JSON.stringify(r));
		await p.close();
	});
}
// The CORS refusals above are console errors of those pages: expected.
problems.length = 0;

// A live refresh cookie again, then the forms.
await step('sdk_browser_csrf_same_site', async () => {
	await open(page, allowed);
	await inPage(page, 'login');
	const before = (await refreshCookie())?.value;
	const e = await formPost(sameSite, '/auth/refresh');
	check('sdk_browser_csrf_same_site', e?.extensions?.code ===
	    'FORBIDDEN' && /^Cross-site request refused/.test(e?.message) &&
	    (await refreshCookie())?.value === before, JSON.stringify(e));
	const logout = await formPost(sameSite, '/auth/logout');
	check('sdk_browser_csrf_same_site_logout',
	    logout?.extensions?.code === 'FORBIDDEN',
	    JSON.stringify(logout));
	const r = await inPage(page, 'refresh');
	check('sdk_browser_csrf_session_kept', r.email === email,
	    JSON.stringify(r));
});
await step('sdk_browser_csrf_cross_site', async () => {
	const e = await formPost(crossSite, '/auth/refresh');
	check('sdk_browser_csrf_cross_site_no_cookie',
	    e?.extensions?.code === 'INVALID_PAYLOAD', JSON.stringify(e));
});

check('sdk_browser_no_script_error', problems.length === 0,
    problems.join(' | '));
await browser.close();
servers.forEach((s) => s.close());
done();
