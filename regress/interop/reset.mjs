// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: the password reset of the real @directus/sdk against tokend.
// usage: node reset.mjs URL request EMAIL RESET_URL
//        node reset.mjs URL reset TOKEN NEW_PASSWORD EMAIL
// The first asks for the mail; the second resets with the token from it,
// logs in with the new password and sees the token refused a second time.
import { createDirectus, authentication, rest, passwordRequest,
    passwordReset, readMe } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, what, ...args] = process.argv.slice(2);
const client = createDirectus(url).with(authentication('json')).with(rest());

if (what === 'request') {
	const [email, resetUrl] = args;
	await step('sdk_password_request', async () => {
		const r = await client.request(passwordRequest(email, resetUrl));
		check('sdk_password_request', r?.status === 204,
		    String(r?.status));
	});
	await refused('sdk_password_request_url_refused',
	    () => client.request(passwordRequest(email,
	    'http://evil.test/reset')), 'INVALID_PAYLOAD',
	    'an unlisted reset_url was taken');
} else {
	const [token, password, email] = args;
	await step('sdk_password_reset', async () => {
		const r = await client.request(passwordReset(token, password));
		check('sdk_password_reset', r?.status === 204, String(r?.status));
	});
	await step('sdk_login_new_password', async () => {
		await client.login(email, password);
		const me = await client.request(readMe());
		check('sdk_login_new_password', me.email === email);
	});
	await refused('sdk_password_reset_once',
	    () => client.request(passwordReset(token, 'another one')),
	    'FORBIDDEN', 'the token worked twice');
}
done();
