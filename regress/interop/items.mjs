// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Interop: @directus/sdk items commands against tokend, as an admin
// (static token) and as the public role.  One line per check, like the
// rest of regress/.
// usage: node items.mjs URL STATIC_TOKEN
import { createDirectus, rest, staticToken, readItems, readItem,
    createItem, createItems, updateItem, updateItems, deleteItem,
    deleteItems } from '@directus/sdk';
import { check, step, refused, done } from './check.mjs';

const [url, token] = process.argv.slice(2);

const admin = createDirectus(url).with(staticToken(token)).with(rest());
const pub = createDirectus(url).with(rest());
let id;

await step('sdk_create_item', async () => {
	const a = await admin.request(createItem('articles',
	    { title: 'SDK', body: 'from the sdk', status: 'published' }));
	id = a.id;
	check('sdk_create_item', Number.isInteger(a.id) && a.title === 'SDK');
});
await step('sdk_create_items', async () => {
	const list = await admin.request(createItems('articles',
	    [{ title: 'Draft A', status: 'draft' },
	     { title: 'Draft B', status: 'draft' }]));
	check('sdk_create_items', list.length === 2 && list[1].title === 'Draft B');
});
await step('sdk_read_items_filter', async () => {
	const list = await admin.request(readItems('articles', {
	    fields: ['id', 'title'], filter: { status: { _eq: 'draft' } },
	    sort: ['-id'], limit: 1 }));
	check('sdk_read_items_filter', list.length === 1 &&
	    list[0].title === 'Draft B' && Object.keys(list[0]).length === 2);
});
await step('sdk_read_item', async () => {
	const a = await admin.request(readItem('articles', id));
	check('sdk_read_item', a.id === id && a.body === 'from the sdk');
});
await step('sdk_update_item', async () => {
	const a = await admin.request(updateItem('articles', id,
	    { title: 'SDK 2' }));
	check('sdk_update_item', a.title === 'SDK 2' && a.body === 'from the sdk');
});
await step('sdk_update_items', async () => {
	const drafts = await admin.request(readItems('articles',
	    { fields: ['id'], filter: { status: { _eq: 'draft' } } }));
	const keys = drafts.map((d) => d.id);
	const list = await admin.request(updateItems('articles', keys,
	    { body: 'batch' }));
	check('sdk_update_items', list.length === keys.length &&
	    list.every((a) => a.body === 'batch'));
});
await step('sdk_public_read_items', async () => {
	const list = await pub.request(readItems('articles'));
	check('sdk_public_read_items', list.length > 0 &&
	    list.every((a) => a.status === 'published'));
});
await step('sdk_public_forbidden', async () => {
	await refused('sdk_public_forbidden',
	    () => pub.request(createItem('articles', { title: 'x' })),
	    'FORBIDDEN', 'created');
});
await step('sdk_delete_item', async () => {
	await admin.request(deleteItem('articles', id));
	await refused('sdk_delete_item',
	    () => admin.request(readItem('articles', id)),
	    'FORBIDDEN', 'still there');
});
await step('sdk_delete_items', async () => {
	const drafts = await admin.request(readItems('articles',
	    { fields: ['id'], filter: { status: { _eq: 'draft' } } }));
	await admin.request(deleteItems('articles', drafts.map((d) => d.id)));
	const left = await admin.request(readItems('articles',
	    { filter: { status: { _eq: 'draft' } } }));
	check('sdk_delete_items', drafts.length === 2 && left.length === 0);
});
done();
