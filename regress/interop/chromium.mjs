// SPDX-License-Identifier: ISC
// Copyright (c) 2026 The tokend authors; see the LICENSE file.
// Debian's Chromium, headless, driven by puppeteer-core (no browser
// download), for the browser tests (portal.mjs, sdkbrowser.mjs,
// fabrowser.mjs): one launch, and pages that record every console
// error (a CSP refusal is one) and every script error.
import puppeteer from 'puppeteer-core';

// launch(CHROMIUM, PROFILE-DIR): localhost is 127.0.0.1, whatever the
// machine's resolver says, so that a test can use it as a second site.
export function launch(chromium, profile) {
	return puppeteer.launch({
		executablePath: chromium,
		headless: true,
		userDataDir: profile,
		args: ['--no-sandbox', '--disable-dev-shm-usage',
		    '--disable-gpu', '--no-first-run',
		    '--disable-background-networking',
		    '--host-resolver-rules=MAP localhost 127.0.0.1'],
	});
}

// newPage(CONTEXT, PROBLEMS): a page 1280 pixels wide whose console
// errors and script errors are pushed to PROBLEMS.  The API's refusals
// a test expects (401, 403) and the favicon the browser asks every
// origin for are no problems.
export async function newPage(context, problems) {
	const page = await context.newPage();
	page.on('console', (m) => {
		if (m.type() === 'error' &&
		    !/status of 40[13]/.test(m.text()) &&
		    !/\/favicon\.ico$/.test(m.location()?.url ?? ''))
			problems.push(`console: ${m.text()}`);
	});
	page.on('pageerror', (e) => problems.push(`error: ${e.message}`));
	await page.setViewport({ width: 1280, height: 900 });
	return page;
}
