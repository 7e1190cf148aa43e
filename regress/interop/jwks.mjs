// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// A service that verifies tokend's access tokens itself, with jose:
// the key set found through /.well-known/openid-configuration, fetched
// with createRemoteJWKSet.  node jwks.mjs URL ALG TOKEN...: one line per
// token, "verified ID" or "refused CODE".
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [url, alg, ...tokens] = process.argv.slice(2);
const res = await fetch(`${url}/.well-known/openid-configuration`);
const conf = await res.json();
if (res.status !== 200 || conf.issuer !== 'directus' ||
    conf.jwks_uri !== `${url}/.well-known/jwks.json` ||
    JSON.stringify(conf.id_token_signing_alg_values_supported) !==
    JSON.stringify([alg])) {
	console.log(`discovery failed: ${res.status} ${JSON.stringify(conf)}`);
	process.exit(1);
}
const keys = createRemoteJWKSet(new URL(conf.jwks_uri));
for (const token of tokens) {
	try {
		const { payload } = await jwtVerify(token, keys, {
			issuer: conf.issuer, algorithms: [alg] });
		console.log(`verified ${payload.id}`);
	} catch (e) {
		console.log(`refused ${e.code ?? e.message}`);
	}
}
