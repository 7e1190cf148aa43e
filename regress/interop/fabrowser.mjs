// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Forward auth in a real browser (Chromium, through chromium.mjs): an
// application behind Debian's nginx (auth_request, error_page 401 to
// the portal) and behind Caddy (forward_auth, tokend's 302 passed on),
// both from etc/examples/, the application an nginx server that echoes
// the Remote-* headers it was passed.  The whole flow: a protected URL
// goes to the portal with rd, the sign-in comes back to it with the
// user seen by the application; the wrong role 403; sign-out, and the
// URL is protected again; a suspended user's session refused at once;
// the access_token query form; an rd outside the allow list (the
// application's own port, around the proxy) goes to the account page.
// tokend's session cookie is its host's (127.0.0.1), whatever the
// port, so the browser sends it to the proxies on that host too.
// usage: node fabrowser.mjs URL CHROMIUM OUTDIR NGINX_PORT CADDY_PORT
//        APP_PORT USER_EMAIL USER_PW SUSPEND_EMAIL SUSPEND_PW SUSPEND_ID
//        ADMIN_EMAIL ADMIN_PW
import { launch, newPage } from './chromium.mjs';
import { check, step, done } from './check.mjs';

const [api, chromium, out, nport, cport, aport, email, password,
    suEmail, suPassword, suId, adminEmail, adminPassword] =
    process.argv.slice(2);
const nginx = `http://127.0.0.1:${nport}`;
const caddy = `http://127.0.0.1:${cport}`;
const portal = `${api}/portal/`;

const problems = [];
const browser = await launch(chromium, `${out}/profile-fa`);

async function tokenOf(who, pw) {
	const res = await fetch(`${api}/auth/login`, { method: 'POST',
	    headers: { 'Content-Type': 'application/json' },
	    body: JSON.stringify({ email: who, password: pw }) });
	return (await res.json()).data.access_token;
}
// A fresh browser (context) and its page.
async function fresh() {
	const ctx = await browser.createBrowserContext();
	return [ctx, await newPage(ctx, problems)];
}
const body = (p) => p.$eval('body', (b) => b.innerText.trim());
// The portal's login form, once the browser is on it.
async function signIn(p, who, pw) {
	await p.waitForSelector('#email');
	await p.type('#email', who);
	await p.type('#password', pw);
	await Promise.all([p.waitForNavigation(),
	    p.click('button[type=submit]')]);
}
// On the portal with rd the protected URL?
function atPortal(p, asked) {
	const u = new URL(p.url());
	return `${u.origin}${u.pathname}` === portal &&
	    u.searchParams.get('rd') === asked;
}

// nginx: protected URL -> portal with rd -> sign in -> back.
const [ctxA, a] = await fresh();
const asked = `${nginx}/app/page?x=1&y=2`;
await step('fa_browser_nginx_to_portal', async () => {
	const res = await a.goto(asked);
	check('fa_browser_nginx_to_portal', res.status() === 200 &&
	    atPortal(a, asked), a.url());
});
await step('fa_browser_nginx_back', async () => {
	await signIn(a, email, password);
	const text = await body(a);
	check('fa_browser_nginx_back', a.url() === asked &&
	    text === `user=${email} email=${email} groups= ` +
	    'uri=/app/page?x=1&y=2', `${a.url()} ${text}`);
});
await step('fa_browser_nginx_wrong_role_403', async () => {
	const res = await a.goto(`${nginx}/admin/`);
	check('fa_browser_nginx_wrong_role_403', res.status() === 403,
	    res.status());
});
await step('fa_browser_nginx_logout', async () => {
	await a.goto(`${portal}account`);
	await a.waitForSelector('#logout');
	await Promise.all([a.waitForNavigation(), a.click('#logout')]);
	await a.goto(asked);
	check('fa_browser_nginx_logout', atPortal(a, asked), a.url());
});
await ctxA.close();

// A suspended user: refused at once, the next request.
await step('fa_browser_nginx_suspended', async () => {
	const [ctx, p] = await fresh();
	const url = `${nginx}/app/s`;
	await p.goto(url);
	await signIn(p, suEmail, suPassword);
	const before = await body(p);
	const admin = await tokenOf(adminEmail, adminPassword);
	const r = await fetch(`${api}/users/${suId}`, { method: 'PATCH',
	    headers: { 'Content-Type': 'application/json',
	    Authorization: `Bearer ${admin}` },
	    body: '{"status":"suspended"}' });
	await p.reload();
	check('fa_browser_nginx_suspended', p.url() !== url &&
	    before.startsWith(`user=${suEmail} `) && r.status === 200 &&
	    atPortal(p, url), `${r.status} ${before} ${p.url()}`);
	await ctx.close();
});

// The access_token query form, in a browser with no cookie.
await step('fa_browser_nginx_access_token', async () => {
	const [ctx, p] = await fresh();
	const token = await tokenOf(email, password);
	const res = await p.goto(`${nginx}/app/q?access_token=` +
	    encodeURIComponent(token));
	const text = await body(p);
	check('fa_browser_nginx_access_token', res.status() === 200 &&
	    text.startsWith(`user=${email} `), text);
	await ctx.close();
});

// An rd the allow list does not name: the account page, not there.
await step('fa_browser_rd_refused', async () => {
	const [ctx, p] = await fresh();
	await p.goto(`${portal}?rd=${encodeURIComponent(
	    `http://127.0.0.1:${aport}/app/`)}`);
	await signIn(p, email, password);
	check('fa_browser_rd_refused', p.url() === `${portal}account`,
	    p.url());
	await ctx.close();
});

// Caddy: tokend's 302 to the portal as it is, then back.
await step('fa_browser_caddy', async () => {
	const [ctx, p] = await fresh();
	const url = `${caddy}/app/page?c=1`;
	await p.goto(url);
	const first = atPortal(p, url);
	await signIn(p, email, password);
	const text = await body(p);
	check('fa_browser_caddy_to_portal', first, p.url());
	check('fa_browser_caddy_back', p.url() === url &&
	    text === `user=${email} email=${email} groups= uri=/app/page?c=1`,
	    `${p.url()} ${text}`);
	await ctx.close();
});

check('fa_browser_no_script_error', problems.length === 0,
    problems.join(' | '));
await browser.close();
done();
