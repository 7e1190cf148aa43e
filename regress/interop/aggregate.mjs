// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: @directus/sdk's aggregate() (with and without groupBy, in
// the JSON and comma forms it puts on the wire), readItems({search}),
// withSearch() (the SEARCH method), readUsers({search}) and the
// aggregate() of directus_users against
// tokend, as an admin and as a role whose permission filters rows.
// The expected values are those Directus 11.3.5 answers for the same
// items.  One line per check, like the rest of regress/.
// usage: node aggregate.mjs URL ADMIN_TOKEN READER_TOKEN
import { createDirectus, rest, staticToken, aggregate, readItems,
    readUsers, createItems, withSearch } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, token, reader] = process.argv.slice(2);
const admin = createDirectus(url).with(staticToken(token)).with(rest());
const rd = createDirectus(url).with(staticToken(reader)).with(rest());
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

await step('sdk_agg_seed', async () => {
	const list = await admin.request(createItems('articles', [
	    { title: 'Hello World', status: 'published', views: 10, score: 1.5 },
	    { title: 'second', status: 'draft', body: 'HELLO again', views: 20,
	      score: 2.5 },
	    { title: 'Third 10', status: 'published', views: 10 },
	    { title: null, status: 'archived', views: null }]));
	check('sdk_agg_seed', list.length === 4);
});
await step('sdk_aggregate_count', async () => {
	const r = await admin.request(aggregate('articles',
	    { aggregate: { count: '*' } }));
	check('sdk_aggregate_count', same(r, [{ count: 4 }]), JSON.stringify(r));
});
await step('sdk_aggregate_functions', async () => {
	const r = await admin.request(aggregate('articles', { aggregate: {
	    sum: ['views', 'score'], avg: 'views', countDistinct: ['views'],
	    min: ['title'], max: ['views'] } }));
	check('sdk_aggregate_functions', same(r, [{ sum: { views: 40, score: 4 },
	    avg: { views: 13.333333333333334 }, countDistinct: { views: 2 },
	    min: { title: 'Hello World' }, max: { views: 20 } }]),
	    JSON.stringify(r));
});
await step('sdk_aggregate_group', async () => {
	const r = await admin.request(aggregate('articles', {
	    aggregate: { count: '*', sum: 'views' }, groupBy: ['status'] }));
	check('sdk_aggregate_group', same(r, [
	    { status: 'archived', count: 1, sum: { views: null } },
	    { status: 'draft', count: 1, sum: { views: 20 } },
	    { status: 'published', count: 2, sum: { views: 20 } }]),
	    JSON.stringify(r));
});
await step('sdk_aggregate_query', async () => {
	const r = await admin.request(aggregate('articles', {
	    aggregate: { count: '*' }, groupBy: ['status', 'views'],
	    query: { filter: { views: { _eq: 10 } }, sort: ['-status'],
	    limit: 5 } }));
	check('sdk_aggregate_query', same(r, [
	    { status: 'published', views: 10, count: 2 }]), JSON.stringify(r));
});
await step('sdk_aggregate_permission', async () => {
	const r = await rd.request(aggregate('articles', {
	    aggregate: { count: '*' }, groupBy: ['status'] }));
	check('sdk_aggregate_permission', same(r, [
	    { status: 'published', count: 2 }]), JSON.stringify(r));
});
await refused('sdk_aggregate_field_forbidden', () => rd.request(
    aggregate('articles', { aggregate: { sum: 'score' } })), 'FORBIDDEN',
    'a sum over a field the reader may not read');
await step('sdk_read_items_search', async () => {
	const r = await admin.request(readItems('articles',
	    { search: 'hello', fields: ['id'], sort: ['id'] }));
	check('sdk_read_items_search', same(r.map((a) => a.id),
	    [r[0]?.id, r[0]?.id + 1]) && r.length === 2, JSON.stringify(r));
});
await step('sdk_read_items_search_reader', async () => {
	const r = await rd.request(readItems('articles',
	    { search: 'again', fields: ['id'] }));
	check('sdk_read_items_search_reader', r.length === 0,
	    JSON.stringify(r));
});
await step('sdk_with_search', async () => {
	const r = await admin.request(withSearch(readItems('articles', {
	    search: '10', fields: ['title'], filter: { status:
	    { _eq: 'published' } }, sort: ['title'] })));
	check('sdk_with_search', same(r, [{ title: 'Hello World' },
	    { title: 'Third 10' }]), JSON.stringify(r));
});
await step('sdk_with_search_aggregate', async () => {
	const r = await admin.request(withSearch(aggregate('articles', {
	    aggregate: { count: '*' }, groupBy: ['status'] })));
	check('sdk_with_search_aggregate', Array.isArray(r) && r.length === 3 &&
	    r[2].count === 2, JSON.stringify(r));
});
await refused('sdk_deep_refused', () => admin.request(readItems('articles',
    { deep: { author: { _limit: 1 } } })), 'INVALID_QUERY',
    'deep answered as if tokend had applied it');
await step('sdk_read_users_search', async () => {
	const r = await admin.request(readUsers({ search: 'RITA',
	    fields: ['email'] }));
	check('sdk_read_users_search', same(r, [{ email: 'rita@example.com' }]),
	    JSON.stringify(r));
});
await step('sdk_users_with_search', async () => {
	const r = await admin.request(withSearch(readUsers({ search: 'root',
	    fields: ['email'] })));
	check('sdk_users_with_search', same(r, [{ email: 'root@example.com' }]),
	    JSON.stringify(r));
});
// aggregate() of directus_users goes to /users: root and rita, both
// active (Directus 11.3.5's shape, [{"status":"active","count":2}]).
await step('sdk_users_aggregate', async () => {
	const r = await admin.request(aggregate('directus_users',
	    { aggregate: { count: '*' }, groupBy: ['status'] }));
	check('sdk_users_aggregate', same(r, [{ status: 'active', count: 2 }]),
	    JSON.stringify(r));
});
done();
