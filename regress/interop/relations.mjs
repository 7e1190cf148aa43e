// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: @directus/sdk relational fields and filters (many-to-one,
// to a collection and to directus_users), relational user fields and
// the batch changes of users, against tokend as an admin.
// usage: node relations.mjs URL STATIC_TOKEN
import { createDirectus, rest, staticToken, readItems, readItem,
    createItems, readUsers, readMe, createUsers, updateUsers,
    updateUsersBatch, deleteUsers } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, token] = process.argv.slice(2);
// The administrator the token belongs to (tokend's test: sdk@example.com).
const mail = process.env.SDK_EMAIL ?? 'sdk@example.com';

const admin = createDirectus(url).with(staticToken(token)).with(rest());
let me, users, arts;

await step('sdk_rel_setup', async () => {
	me = await admin.request(readMe({ fields: ['id'] }));
	const cats = await admin.request(createItems('categories',
	    [{ name: 'news' }, { name: 'tech' }]));
	arts = await admin.request(createItems('articles', [
	    { title: 'a1', author: me.id, category: cats[0].id },
	    { title: 'a2', author: null, category: cats[1].id }]));
	check('sdk_rel_setup', cats.length === 2);
});
await step('sdk_rel_read_items_nested', async () => {
	const list = await admin.request(readItems('articles', {
	    fields: ['*', { author: ['email'] }, { category: ['name'] }],
	    filter: { id: { _in: arts.map((a) => a.id) } }, sort: ['id'] }));
	check('sdk_rel_read_items_nested', list.length === 2 &&
	    list[0].title === 'a1' &&
	    list[0].author?.email === mail &&
	    Object.keys(list[0].author).length === 1 &&
	    list[0].category?.name === 'news' && list[1].author === null &&
	    list[1].category?.name === 'tech', JSON.stringify(list));
});
await step('sdk_rel_read_item_star', async () => {
	const list = await admin.request(readItems('articles', {
	    fields: ['title', { category: ['*'] }],
	    filter: { id: { _eq: arts[0].id } } }));
	const a = await admin.request(readItem('articles', arts[0].id,
	    { fields: ['id', { author: ['id', 'email'] }] }));
	check('sdk_rel_read_item_star', list[0].category?.name === 'news' &&
	    Number.isInteger(list[0].category?.id) && a.author?.id === me.id,
	    JSON.stringify([list, a]));
});
await step('sdk_rel_filter_users', async () => {
	const list = await admin.request(readItems('articles', {
	    fields: ['title'], filter: { _and: [
	    { id: { _in: arts.map((a) => a.id) } },
	    { author: { email: { _eq: mail } } }] } }));
	check('sdk_rel_filter_users', list.length === 1 &&
	    list[0].title === 'a1', JSON.stringify(list));
});
await step('sdk_rel_filter_items', async () => {
	const list = await admin.request(readItems('articles', {
	    fields: ['title'], filter: { _and: [
	    { id: { _in: arts.map((a) => a.id) } },
	    { category: { name: { _eq: 'tech' } } }] } }));
	check('sdk_rel_filter_items', list.length === 1 &&
	    list[0].title === 'a2', JSON.stringify(list));
});
// Directus 11.3.5 answers "title.x" with the keys alone: tokend refuses
// it, never a silent answer of another shape.
await refused('sdk_rel_not_relation', () => admin.request(readItems(
    'articles', { fields: [{ title: ['x'] }] })), 'INVALID_QUERY',
    'a field that is no relation answered');
await step('sdk_read_users_role_name', async () => {
	const list = await admin.request(readUsers({
	    fields: ['email', { role: ['name'] }],
	    filter: { email: { _eq: mail } } }));
	check('sdk_read_users_role_name', list.length === 1 &&
	    list[0].role?.name === 'Administrator' &&
	    Object.keys(list[0].role).length === 1, JSON.stringify(list));
});
await step('sdk_read_me_role', async () => {
	const u = await admin.request(readMe({ fields: [{ role: ['*'] }] }));
	check('sdk_read_me_role', u.role?.name === 'Administrator' &&
	    typeof u.role?.id === 'string', JSON.stringify(u));
});
// The administrator holds no policy itself: no access rows (Directus
// 11.3.5: {"policies":[]}); its role's own row and users with role.*.
await step('sdk_read_me_policies', async () => {
	const u = await admin.request(readMe({ fields: [{ policies: ['*'] },
	    { role: ['*'] }] }));
	check('sdk_read_me_policies', Array.isArray(u.policies) &&
	    u.policies.length === 0 && u.role?.policies?.length === 1 &&
	    u.role?.users?.includes(me.id), JSON.stringify(u));
});
await step('sdk_update_users', async () => {
	users = await admin.request(createUsers([
	    { email: 'b1@example.com' }, { email: 'b2@example.com' }]));
	const keys = users.map((u) => u.id);
	const list = await admin.request(updateUsers(keys,
	    { last_name: 'Batch' }, { fields: ['id', 'last_name'] }));
	check('sdk_update_users', list.length === 2 &&
	    list.every((u) => u.last_name === 'Batch'), JSON.stringify(list));
});
await step('sdk_update_users_batch', async () => {
	const list = await admin.request(updateUsersBatch([
	    { id: users[0].id, first_name: 'One' },
	    { id: users[1].id, first_name: 'Two' }],
	    { fields: ['email', 'first_name'] }));
	const byMail = Object.fromEntries(list.map((u) => [u.email, u]));
	check('sdk_update_users_batch', list.length === 2 &&
	    byMail['b1@example.com']?.first_name === 'One' &&
	    byMail['b2@example.com']?.first_name === 'Two', JSON.stringify(list));
});
await refused('sdk_update_users_batch_no_id', () => admin.request(
    updateUsersBatch([{ first_name: 'x' }])), 'INVALID_PAYLOAD',
    'a batch item without its id was taken');
// deleteUsers with a query sends the query itself as the body, which
// Directus 11.3.5 refuses ("filter" is not allowed): tokend does too.
await refused('sdk_delete_users_query', () => admin.request(deleteUsers(
    { filter: { email: { _eq: 'b1@example.com' } } })), 'INVALID_PAYLOAD',
    'a bare query was taken as the keys');
await step('sdk_delete_users', async () => {
	await admin.request(deleteUsers(users.map((u) => u.id)));
	const left = await admin.request(readUsers({ fields: ['id'],
	    filter: { email: { _in: ['b1@example.com', 'b2@example.com'] } } }));
	check('sdk_delete_users', left.length === 0, JSON.stringify(left));
});
done();
