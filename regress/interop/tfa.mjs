// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: two-factor authentication with the real @directus/sdk:
// generateTwoFactorSecret, enableTwoFactor, login with and without otp,
// disableTwoFactor.  The codes are computed here (RFC 6238).
// usage: node tfa.mjs URL EMAIL_A PASSWORD_A EMAIL_B PASSWORD_B
import { createHmac } from 'node:crypto';
import { createDirectus, authentication, rest, readMe,
    generateTwoFactorSecret, enableTwoFactor,
    disableTwoFactor } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, emailA, passwordA, emailB, passwordB] = process.argv.slice(2);

// The TOTP code of the step `offset` steps from now.
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
	const step = Math.floor(Date.now() / 30000) + offset;
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(step));
	const h = createHmac('sha1', Buffer.from(bytes)).update(msg).digest();
	const o = h[h.length - 1] & 15;
	return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000)
	    .padStart(6, '0');
}

function client() {
	return createDirectus(url).with(authentication('json')).with(rest());
}

// A: turns it on, then needs the code to log in.
const a = client();
let secret;
await step('sdk_tfa_generate', async () => {
	await a.login(emailA, passwordA);
	const g = await a.request(generateTwoFactorSecret(passwordA));
	secret = g.secret;
	check('sdk_tfa_generate', /^[A-Z2-7]{32}$/.test(g.secret) &&
	    g.otpauth_url.startsWith('otpauth://totp/') &&
	    g.otpauth_url.includes(`secret=${g.secret}`), JSON.stringify(g));
});
await step('sdk_tfa_enable', async () => {
	await a.request(enableTwoFactor(secret, totp(secret, 0)));
	const me = await a.request(readMe({ fields: ['tfa_secret'] }));
	check('sdk_tfa_enable', me.tfa_secret === '**********',
	    JSON.stringify(me));
});
await refused('sdk_tfa_login_without_otp',
    () => client().login(emailA, passwordA), 'INVALID_OTP',
    'logged in without a code');
await step('sdk_tfa_login_with_otp', async () => {
	const c = client();
	const r = await c.login(emailA, passwordA, { otp: totp(secret, 1) });
	check('sdk_tfa_login_with_otp', typeof r.access_token === 'string');
});

// B: turns it on and off again.
const b = client();
let secretB;
await step('sdk_tfa_disable', async () => {
	await b.login(emailB, passwordB);
	secretB = (await b.request(generateTwoFactorSecret(passwordB))).secret;
	await b.request(enableTwoFactor(secretB, totp(secretB, 0)));
	await b.request(disableTwoFactor(totp(secretB, 1)));
	const me = await b.request(readMe({ fields: ['tfa_secret'] }));
	check('sdk_tfa_disable', me.tfa_secret === null, JSON.stringify(me));
});
await refused('sdk_tfa_disable_wrong_otp',
    () => a.request(disableTwoFactor(totp(secret, 9))), 'INVALID_PAYLOAD',
    'disabled with a wrong code');
done();
