// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// The sign-in portal in a real browser: Debian's Chromium driven by
// puppeteer-core (chromium.mjs), headless.  The login page (a
// wrong password's error, the second field for a TFA code, rd followed
// only when allowed), the account page (sessions listed and one
// revoked, refused at once; the password changed; a static token made
// and revoked; the TFA QR code drawn), sign-out; screenshots of both
// pages at 1280 and 375 pixels; no CSP violation, no script error.
// usage: node portal.mjs URL CHROMIUM OUTDIR ADMIN_EMAIL ADMIN_PW
//        TFA_EMAIL TFA_PW TFA_SECRET
import { createHmac } from 'node:crypto';
import { launch, newPage as openPage } from './chromium.mjs';
import { check, step, done } from './check.mjs';

const [url, chromium, out, email, password, tfaEmail, tfaPassword,
    tfaSecret] = process.argv.slice(2);
const portal = `${url}/portal/`;
const allowed = `${url}/server/ping`;
const hostile = 'https://evil.example.com/steal';

function totp(secret, offset) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0, acc = 0;
	const bytes = [];
	for (const ch of secret.toUpperCase()) {
		acc = (acc << 5) | alphabet.indexOf(ch);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bytes.push((acc >> bits) & 0xff);
		}
	}
	const n = Math.floor(Date.now() / 30000) + offset;
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(n));
	const h = createHmac('sha1', Buffer.from(bytes)).update(msg).digest();
	const o = h[h.length - 1] & 15;
	return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000)
	    .padStart(6, '0');
}

const browser = await launch(chromium, `${out}/profile`);
// Every console error (a CSP refusal is one) and every script error.
const problems = [];
const newPage = (context) => openPage(context, problems);
// The status of fetch(path) in the page, with its cookies.
function status(page, path, init) {
	return page.evaluate(async (p, i) => (await fetch(p, i)).status,
	    path, init ?? {});
}
async function login(page, who, pw, rd, otp) {
	await page.goto(portal + (rd ? `?rd=${encodeURIComponent(rd)}` : ''));
	await page.type('#email', who);
	await page.type('#password', pw);
	if (otp) {
		await page.click('button[type=submit]');
		await page.waitForSelector('#otp', { visible: true });
		await page.type('#otp', otp);
	}
	await Promise.all([page.waitForNavigation(),
	    page.click('button[type=submit]')]);
}
async function shots(page, name) {
	for (const width of [1280, 375]) {
		await page.setViewport({ width, height: 900 });
		await page.screenshot({ path: `${out}/${name}-${width}.png`,
		    fullPage: true });
	}
	await page.setViewport({ width: 1280, height: 900 });
}

const ctxA = await browser.createBrowserContext();
const ctxB = await browser.createBrowserContext();
const a = await newPage(ctxA);
const b = await newPage(ctxB);

await step('portal_browser_login_page', async () => {
	const res = await a.goto(portal);
	const h = res.headers();
	check('portal_browser_csp', h['content-security-policy']?.startsWith(
	    "default-src 'self'; frame-ancestors 'none'") &&
	    h['x-content-type-options'] === 'nosniff' &&
	    h['referrer-policy'] === 'no-referrer', JSON.stringify(h));
	check('portal_browser_label', await a.$eval('label[for=email]',
	    (l) => l.textContent) === 'Email');
	await shots(a, 'login');
	// The login form alone, as README.md shows it.
	await a.$eval('#email', (e) => e.blur());
	await (await a.$('main')).screenshot({ path: `${out}/login-card.png` });
});

await step('portal_browser_wrong_password', async () => {
	await a.type('#email', email);
	await a.type('#password', 'not the password');
	await a.click('button[type=submit]');
	await a.waitForSelector('#error:not([hidden])');
	const text = await a.$eval('#error', (e) => e.textContent);
	check('portal_browser_wrong_password', text ===
	    'Wrong email or password.', text);
	await a.screenshot({ path: `${out}/login-error-375.png` });
});

await step('portal_browser_keyboard', async () => {
	await a.goto(portal);
	await a.keyboard.press('Tab');
	const first = await a.evaluate(() => document.activeElement.id);
	await a.focus('#password');
	await a.keyboard.press('Tab');
	const next = await a.evaluate(() =>
	    document.activeElement.textContent);
	const outline = await a.evaluate(() =>
	    getComputedStyle(document.activeElement).outlineStyle);
	check('portal_browser_keyboard', ['email', 'password']
	    .includes(first) && next === 'Sign in' && outline !== 'none',
	    `${first} ${next} ${outline}`);
});

await step('portal_browser_tfa_login', async () => {
	const ctx = await browser.createBrowserContext();
	const p = await newPage(ctx);
	await login(p, tfaEmail, tfaPassword, allowed, totp(tfaSecret, 0));
	check('portal_browser_tfa_login', p.url() === allowed, p.url());
	await ctx.close();
});

await step('portal_browser_rd_allowed', async () => {
	await login(a, email, password, allowed);
	check('portal_browser_rd_allowed', a.url() === allowed, a.url());
});

await step('portal_browser_rd_refused', async () => {
	await login(b, email, password, hostile);
	check('portal_browser_rd_refused', b.url() === `${portal}account`,
	    b.url());
});

await step('portal_browser_account', async () => {
	await b.waitForSelector('#sessions tbody tr');
	const mail = await b.$eval('#me-email', (e) => e.textContent);
	check('portal_browser_account', mail === email, mail);
	await shots(b, 'account');
});

await step('portal_browser_session_revoke', async () => {
	check('portal_browser_other_signed_in',
	    await status(a, '/users/me') === 200);
	const rows = await b.$$eval('#sessions tbody tr', (r) => r.length);
	// A's session: not the current one of B.
	const id = await b.$eval('#sessions tbody tr:not(.current) button',
	    (x) => x.dataset.session);
	await b.click(`#sessions button[data-session="${id}"]`);
	await b.waitForFunction((n) => document.querySelectorAll(
	    '#sessions tbody tr').length === n - 1, {}, rows);
	check('portal_browser_session_revoke', rows >= 2, `${rows} rows`);
	check('portal_browser_revoked_refused',
	    await status(a, '/users/me') === 401);
});

await step('portal_browser_static_token', async () => {
	await b.click('#token-create');
	await b.waitForSelector('#token-new:not([hidden])');
	const token = await b.$eval('#token-value', (e) => e.value);
	const bearer = { headers: { Authorization: `Bearer ${token}` },
	    credentials: 'omit' };
	check('portal_browser_token_created', token.length > 20 &&
	    await status(b, '/users/me', bearer) === 200, token);
	await b.waitForSelector('#token-revoke:not([hidden])');
	await b.click('#token-revoke');
	await b.waitForFunction(() => document.querySelector('#status')
	    .textContent === 'Token revoked.');
	check('portal_browser_token_revoked',
	    await status(b, '/users/me', bearer) === 401);
});

await step('portal_browser_password', async () => {
	// The page asks keyd to check the current password in the change
	// itself (POST /users/me/password), not with a login beforehand.
	const asked = [];
	const seen = (r) => asked.push(`${r.method()} ${new URL(r.url())
	    .pathname}`);
	b.on('request', seen);
	await b.type('#pw-current', 'wrong current');
	await b.type('#pw-new', 'new pass 2');
	await b.type('#pw-again', 'new pass 2');
	await b.click('#password-form button[type=submit]');
	await b.waitForSelector('#error:not([hidden])');
	const err = await b.$eval('#error', (e) => e.textContent);
	check('portal_browser_password_current_checked',
	    err === 'The current password is wrong.', err);
	await b.$eval('#password-form', (f) => f.reset());
	await b.type('#pw-current', password);
	await b.type('#pw-new', 'new pass 2');
	await b.type('#pw-again', 'new pass 2');
	await b.click('#password-form button[type=submit]');
	await b.waitForFunction(() => document.querySelector('#status')
	    .textContent.startsWith('Password changed'));
	b.off('request', seen);
	const r = await b.evaluate(async (e) => (await fetch('/auth/login', {
	    method: 'POST', credentials: 'omit',
	    headers: { 'Content-Type': 'application/json' },
	    body: JSON.stringify({ email: e, password: 'new pass 2' }) }))
	    .status, email);
	check('portal_browser_password', r === 200, r);
	check('portal_browser_password_server_checked', asked.filter((x) =>
	    x === 'POST /users/me/password').length === 2 &&
	    !asked.includes('POST /auth/login') &&
	    !asked.includes('PATCH /users/me'), asked.join(', '));
	check('portal_browser_password_kept_self',
	    await status(b, '/users/me') === 200);
});

await step('portal_browser_tfa_qr', async () => {
	await b.type('#tfa-password', 'new pass 2');
	await b.click('#tfa-generate button[type=submit]');
	await b.waitForSelector('#tfa-qr svg path');
	const d = await b.$eval('#tfa-qr svg path', (p) =>
	    p.getAttribute('d').length);
	const secret = await b.$eval('#tfa-secret', (e) => e.textContent);
	check('portal_browser_tfa_qr', d > 100 && secret.length === 32,
	    `${d} ${secret}`);
	await b.screenshot({ path: `${out}/account-tfa-1280.png`,
	    fullPage: true });
	// Turned on with a code, then recovery codes with the next one.
	await b.type('#tfa-otp', totp(secret, 0));
	await b.click('#tfa-enable button[type=submit]');
	await b.waitForSelector('#tfa-manage:not([hidden])');
	check('portal_browser_tfa_enabled', (await b.$eval('#tfa-state',
	    (e) => e.textContent)).endsWith('is on.'));
	await b.type('#tfa-code', totp(secret, 1));
	await b.click('#tfa-recovery');
	await b.waitForSelector('#tfa-codes:not([hidden])');
	const codes = await b.$$eval('#tfa-code-list li', (l) => l.length);
	check('portal_browser_tfa_recovery_codes', codes === 10, codes);
});


await step('portal_browser_logout', async () => {
	await Promise.all([b.waitForNavigation(), b.click('#logout')]);
	check('portal_browser_logout', b.url() === portal &&
	    await status(b, '/users/me') === 401, b.url());
});

check('portal_browser_no_csp_violation', problems.length === 0,
    problems.join(' | '));
await browser.close();
done();
