// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// The checks of the interop tests: one line each, "ok NAME" or
// "FAILED NAME (...)", like the rest of regress/.
let failed = 0;

export function check(name, cond, why) {
	if (cond)
		console.log(`ok ${name}`);
	else {
		console.log(`FAILED ${name}${why ? ` (${why})` : ''}`);
		failed++;
	}
}

// A step whose exception is the failure of its check.
export async function step(name, fn) {
	try {
		await fn();
	} catch (e) {
		check(name, false, JSON.stringify(e?.errors ?? e?.message ?? e));
	}
}

// refused(NAME, FN, CODE, WHAT): FN must fail with a Directus error
// whose first code is CODE; WHAT says what happened when it did not.
export async function refused(name, fn, code, what) {
	try {
		await fn();
		check(name, false, what);
	} catch (e) {
		check(name, e?.errors?.[0]?.extensions?.code === code,
		    JSON.stringify(e?.errors));
	}
}

export function done() {
	process.exit(failed ? 1 : 0);
}
