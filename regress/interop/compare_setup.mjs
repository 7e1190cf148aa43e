// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// compare.mjs setup: a fresh Directus 11 made the twin of the tokend of
// regress/daemon/compare.sh, through its REST API as the administrator
// (admin@example.com / secret): the collections articles (author a
// many-to-one to directus_users) and news, the policies, the roles, the
// permissions in the order of compare.sh's configuration, the users.
// Keep the two in step: a change here is a change there.

let token;
async function api(url, method, path, body) {
	const res = await fetch(url + path, {
		method,
		headers: { 'Content-Type': 'application/json',
		    ...(token ? { Authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (!res.ok)
		throw new Error(`${method} ${path}: ${res.status} ${text}`);
	return text ? JSON.parse(text).data : null;
}

const pk = { field: 'id', type: 'integer', meta: { hidden: true },
    schema: { is_primary_key: true, has_auto_increment: true } };
const str = (field, type = 'string') => ({ field, type, meta: {},
    schema: {} });

export async function setup(url, users, ID) {
	token = (await api(url, 'POST', '/auth/login',
	    { email: 'admin@example.com', password: 'secret' })).access_token;
	await api(url, 'POST', '/collections', { collection: 'articles',
	    meta: {}, schema: {}, fields: [pk, str('title'), str('body', 'text'),
	    str('status'), str('rank', 'integer'), { field: 'author', type: 'uuid',
	    meta: { interface: 'select-dropdown-m2o', special: ['m2o'] },
	    schema: {} }] });
	await api(url, 'POST', '/relations', { collection: 'articles',
	    field: 'author', related_collection: 'directus_users',
	    schema: { on_delete: 'SET NULL' } });
	await api(url, 'POST', '/collections', { collection: 'news',
	    meta: {}, schema: {}, fields: [pk, str('title')] });

	const policy = (id, name, extra = {}) => api(url, 'POST', '/policies',
	    { id, name, icon: 'badge', description: null, ip_access: null,
	      enforce_tfa: false, admin_access: false, app_access: false,
	      ...extra });
	await policy(ID.policy_authors, 'authors', { app_access: true });
	await policy(ID.policy_readers, 'readers');
	await policy(ID.policy_titles, 'titles');
	await policy(ID.policy_drafts, 'drafts');
	const pub = (await api(url, 'GET',
	    '/policies?filter[admin_access][_eq]=false&filter[name][_eq]=' +
	    '$t:public_label&fields=id'))[0].id;

	const role = (id, name, policies) => api(url, 'POST', '/roles',
	    { id, name, icon: 'supervised_user_circle', description: null,
	      policies: policies.map((p) => ({ policy: p })) });
	await role(ID.role_editor, 'editor',
	    [ID.policy_authors, ID.policy_readers]);
	await role(ID.role_member, 'member', [ID.policy_readers]);
	await role(ID.role_mixed, 'mixed', [ID.policy_titles, ID.policy_drafts]);

	const mine = { author: { _eq: '$CURRENT_USER' } };
	const published = { status: { _eq: 'published' } };
	const perm = (policy, collection, action, o = {}) => api(url, 'POST',
	    '/permissions', { policy, collection, action, permissions: null,
	      validation: null, presets: null, fields: ['*'], ...o });
	await perm(ID.policy_authors, 'articles', 'create',
	    { presets: { author: '$CURRENT_USER' } });
	await perm(ID.policy_authors, 'articles', 'read');
	await perm(ID.policy_authors, 'articles', 'update',
	    { permissions: mine });
	await perm(ID.policy_authors, 'articles', 'delete',
	    { permissions: mine });
	await perm(ID.policy_readers, 'articles', 'read',
	    { permissions: published });
	await perm(ID.policy_titles, 'articles', 'read',
	    { permissions: published, fields: ['id', 'title', 'status'] });
	await perm(ID.policy_drafts, 'articles', 'read',
	    { permissions: { status: { _eq: 'draft' } },
	      fields: ['id', 'body', 'status'] });
	await perm(pub, 'articles', 'read', { permissions: published });
	await perm(pub, 'news', 'read');

	for (const [who, [email, password, r]] of Object.entries(users)) {
		if (who !== 'admin')
			await api(url, 'POST', '/users', { email, password,
			    ...(r ? { role: r } : {}) });
	}
	console.log('Directus set up');
}
