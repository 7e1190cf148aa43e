// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// GET /server/specs/oas: the document is valid OpenAPI 3 (a validator's
// word: @apidevtools/swagger-parser) and has every route of the table,
// each "METHOD /path" line of tokend -R, a "*" being one path parameter
// or more.  One line per check, like the rest of regress/.
// usage: node oas.mjs DOCUMENT.json ROUTES
import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { check, step, done } from './check.mjs';

const [file, routesFile] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(file, 'utf8'));
const paths = doc.paths ?? {};

await step('serverinfo_oas_valid', async () => {
	const api = await SwaggerParser.validate(structuredClone(doc));
	check('serverinfo_oas_valid', api.openapi.startsWith('3.'));
});

const missing = [];
const param = '\\{[A-Za-z]+\\}';
for (const line of readFileSync(routesFile, 'utf8').split('\n')) {
	if (line === '')
		continue;
	const [method, path] = line.split(' ');
	const re = new RegExp('^' + path.split('*').map((s) =>
	    s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join(
	    `${param}(/${param})*`) + '$');
	// OpenAPI 3.0 has no SEARCH operation: tokend writes it x-search.
	const key = method === 'SEARCH' ? 'x-search' : method.toLowerCase();
	const found = Object.entries(paths).some(([p, item]) =>
	    re.test(p) && item[key] !== undefined);
	if (!found)
		missing.push(line);
}
check('serverinfo_oas_every_route', missing.length === 0,
    `not in the document: ${missing.join('; ')}`);

// Each operation has the row's tag and summary, and each path
// parameter is declared.
const bad = [];
for (const [p, item] of Object.entries(paths))
	for (const [m, op] of Object.entries(item)) {
		const names = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
		const declared = (op.parameters ?? []).map((x) => x.name);
		if (!op.summary || op.tags?.length !== 1 ||
		    names.join() !== declared.join())
			bad.push(`${m} ${p}`);
	}
check('serverinfo_oas_operations', bad.length === 0, bad.join('; '));
done();
