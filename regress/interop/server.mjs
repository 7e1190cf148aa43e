// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: @directus/sdk's server commands against tokend: serverInfo()
// as the public role and as a user, readProviders() with and without
// sessionOnly, readOpenApiSpec(), and the track page request (which the
// SDK has no command for) through customEndpoint(), then readMe().  One
// line per check, like the rest of regress/.
// usage: node server.mjs URL STATIC_TOKEN QUERY_LIMIT
import { createDirectus, rest, staticToken, serverInfo, readProviders,
    readOpenApiSpec, customEndpoint, readMe } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, token, queryLimit] = process.argv.slice(2);

const user = createDirectus(url).with(staticToken(token)).with(rest());
const pub = createDirectus(url).with(rest());
const project = ['project_name', 'project_color', 'default_language',
    'default_appearance', 'public_registration',
    'public_registration_verify_email'];

await step('sdk_server_info_public', async () => {
	const info = await pub.request(serverInfo());
	check('sdk_server_info_public', Object.keys(info).join() === 'project' &&
	    Object.keys(info.project).join() === project.join(),
	    JSON.stringify(info));
});
await step('sdk_server_info_user', async () => {
	const info = await user.request(serverInfo());
	check('sdk_server_info_user', info.queryLimit?.default === 100 &&
	    info.queryLimit?.max === Number(queryLimit) &&
	    info.rateLimit === false && info.rateLimitGlobal === false &&
	    info.websocket === false && info.extensions?.limit === null &&
	    typeof info.version === 'string', JSON.stringify(info));
});
await step('sdk_read_providers', async () => {
	const list = await pub.request(readProviders());
	check('sdk_read_providers', Array.isArray(list) && list.length === 0,
	    JSON.stringify(list));
});
await step('sdk_read_providers_session_only', async () => {
	const list = await pub.request(readProviders(true));
	check('sdk_read_providers_session_only', Array.isArray(list) &&
	    list.length === 0, JSON.stringify(list));
});
await step('sdk_read_openapi_spec', async () => {
	const doc = await user.request(readOpenApiSpec());
	check('sdk_read_openapi_spec', doc.openapi === '3.0.1' &&
	    doc.paths['/server/info']?.get?.operationId === 'getServerInfo' &&
	    doc.paths['/items/{collection}/{id}']?.patch !== undefined,
	    JSON.stringify(doc).slice(0, 200));
});
await step('sdk_track_page', async () => {
	const r = await user.request(customEndpoint({ method: 'PATCH',
	    path: '/users/me/track/page',
	    body: JSON.stringify({ last_page: '/content/sdk' }) }));
	const me = await user.request(readMe({ fields: ['last_page'] }));
	check('sdk_track_page', me.last_page === '/content/sdk',
	    JSON.stringify([r, me]));
});
await refused('sdk_track_page_public', () => pub.request(customEndpoint({
    method: 'PATCH', path: '/users/me/track/page',
    body: JSON.stringify({ last_page: '/x' }) })), 'INVALID_CREDENTIALS',
    'the public role set a last page');
done();
