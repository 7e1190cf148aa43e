/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The sign-in portal's script, for both pages (body's data-page).  It
 * talks to tokend's API on this origin with the session cookie; no
 * framework, nothing fetched from anywhere else.
 */
"use strict";

function $(id) {
	return document.getElementById(id);
}

/* fetch of the API: {status, json}; json is null without a body. */
async function api(method, path, body) {
	const init = { method: method, credentials: "same-origin",
	    headers: {} };
	if (body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		return { status: 0, json: null, code: "NETWORK",
		    message: "The server cannot be reached." };
	}
	let json = null;
	try {
		json = await res.json();
	} catch (e) {
		json = null;
	}
	const err = json && json.errors && json.errors[0];
	return { status: res.status, json: json,
	    code: err && err.extensions ? err.extensions.code : "",
	    message: err ? err.message : "" };
}

function showError(text) {
	const e = $("error");
	e.textContent = text;
	e.hidden = !text;
	if (text)
		e.focus();
}

function showStatus(text) {
	const s = $("status");
	if (s) {
		s.textContent = text;
		s.hidden = !text;
	}
}

/* The words a person reads for an API refusal. */
function reason(r, what) {
	switch (r.code) {
	case "INVALID_CREDENTIALS":
		return "Wrong email or password.";
	case "INVALID_OTP":
		return "Wrong one-time code.";
	case "TOO_MANY_REQUESTS":
	case "REQUESTS_EXCEEDED":
		return "Too many attempts: wait a moment, then try again.";
	case "USER_SUSPENDED":
		return "This account is suspended.";
	case "NETWORK":
		return r.message;
	default:
		return what + (r.message ? ": " + r.message : ".");
	}
}

/* ---- the login page ---- */

function loginPage() {
	const form = $("login");
	const rd = new URLSearchParams(location.search).get("rd");

	$("error").tabIndex = -1;
	form.addEventListener("submit", async function (ev) {
		ev.preventDefault();
		showError("");
		const email = $("email").value.trim();
		const password = $("password").value;
		if (!email || !password) {
			showError("Enter your email and your password.");
			return;
		}
		const body = { email: email, password: password,
		    mode: "session" };
		const otpShown = !$("otp-row").hidden;
		if (otpShown && $("otp").value.trim())
			body.otp = $("otp").value.trim();
		const r = await api("POST", "/auth/login", body);
		if (r.status === 200) {
			/* The server decides whether rd is allowed. */
			location.assign("next" + (rd ? "?rd=" +
			    encodeURIComponent(rd) : ""));
			return;
		}
		if (r.code === "INVALID_OTP" && !otpShown) {
			$("otp-row").hidden = false;
			$("otp").focus();
			return;
		}
		showError(reason(r, "Sign-in failed"));
	});
}

/* ---- the account page ---- */

let me = null;

async function loadMe() {
	const r = await api("GET", "/users/me?fields=id,email,first_name," +
	    "last_name,tfa_secret,token");
	if (r.status !== 200) {
		location.assign("./");
		return false;
	}
	me = r.json.data;
	const name = [me.first_name, me.last_name].filter(Boolean).join(" ");
	$("me-name").textContent = name || "(no name)";
	$("me-email").textContent = me.email;
	$("token-state").textContent = me.token ? "You have a static " +
	    "token. Only its hash is kept: it cannot be shown again." :
	    "You have no static token.";
	$("token-revoke").hidden = !me.token;
	tfaState();
	return true;
}

function when(iso) {
	if (!iso)
		return "unknown";
	const d = new Date(iso);
	return isNaN(d) ? iso : d.toLocaleString();
}

async function loadSessions() {
	const r = await api("GET", "/users/me/sessions");
	const tbody = $("sessions").tBodies[0];
	tbody.replaceChildren();
	if (r.status !== 200) {
		showError(reason(r, "The sessions cannot be read"));
		return;
	}
	for (const s of r.json.data) {
		const tr = document.createElement("tr");
		const cells = [s.ip || "unknown", s.user_agent || "unknown",
		    when(s.last_used)];
		const labels = ["Address", "Browser", "Last used"];
		cells.forEach(function (text, i) {
			const td = document.createElement("td");
			td.textContent = text;
			td.dataset.label = labels[i];
			tr.appendChild(td);
		});
		const td = document.createElement("td");
		const b = document.createElement("button");
		b.type = "button";
		b.className = "secondary";
		b.textContent = s.current ? "End this session" : "Revoke";
		b.dataset.session = String(s.id);
		b.setAttribute("aria-label", (s.current ? "End this session" :
		    "Revoke the session") + " from " + cells[0]);
		b.addEventListener("click", function () {
			revokeSession(s.id, s.current);
		});
		if (s.current)
			tr.className = "current";
		td.appendChild(b);
		tr.appendChild(td);
		tbody.appendChild(tr);
	}
}

async function revokeSession(id, current) {
	showError("");
	const r = await api("DELETE", "/users/me/sessions/" +
	    encodeURIComponent(id));
	if (r.status !== 204) {
		showError(reason(r, "The session cannot be revoked"));
		return;
	}
	if (current) {
		location.assign("./");
		return;
	}
	showStatus("Session revoked.");
	loadSessions();
}

async function changePassword(ev) {
	ev.preventDefault();
	showError("");
	showStatus("");
	const cur = $("pw-current").value, pw = $("pw-new").value;
	if (!cur || !pw) {
		showError("Enter your current and your new password.");
		return;
	}
	if (pw !== $("pw-again").value) {
		showError("The new passwords differ.");
		return;
	}
	/*
	 * keyd checks the current password and changes it in one step
	 * (tokend's POST /users/me/password): a session cookie alone
	 * cannot change it.  Every other session ends; this one stays.
	 */
	const r = await api("POST", "/users/me/password",
	    { password_current: cur, password: pw });
	if (r.status !== 204) {
		showError(r.code === "INVALID_CREDENTIALS" ?
		    "The current password is wrong." :
		    reason(r, "The password cannot be changed"));
		return;
	}
	$("password-form").reset();
	showStatus("Password changed. Your other sessions have ended.");
	loadSessions();
}

function randomToken() {
	const b = new Uint8Array(32);
	crypto.getRandomValues(b);
	return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, "-")
	    .replace(/\//g, "_").replace(/=+$/, "");
}

async function setToken(value) {
	showError("");
	showStatus("");
	const r = await api("PATCH", "/users/me", { token: value });
	if (r.status !== 200) {
		showError(r.status === 403 ? "Your role may not hold a " +
		    "static token." : reason(r, "The token cannot be set"));
		return;
	}
	$("token-new").hidden = value === null;
	$("token-value").value = value === null ? "" : value;
	if (value !== null)
		$("token-value").focus();
	showStatus(value === null ? "Token revoked." : "Token created.");
	await loadMe();
}

function tfaState() {
	const on = !!me.tfa_secret;
	$("tfa-state").textContent = on ? "Two-factor authentication is on." :
	    "Two-factor authentication is off.";
	$("tfa-generate").hidden = on;
	$("tfa-manage").hidden = !on;
	if (on)
		$("tfa-enable").hidden = true;
}

let tfaSecret = "";

async function tfaGenerate(ev) {
	ev.preventDefault();
	showError("");
	const r = await api("POST", "/users/me/tfa/generate",
	    { password: $("tfa-password").value });
	if (r.status !== 200) {
		showError(reason(r, "Two-factor setup failed"));
		return;
	}
	$("tfa-generate").reset();
	tfaSecret = r.json.data.secret;
	$("tfa-secret").textContent = tfaSecret;
	/* The QR code is drawn by the server, as SVG, from a POST body. */
	const q = await fetch("qr", { method: "POST",
	    credentials: "same-origin",
	    headers: { "Content-Type": "application/json" },
	    body: JSON.stringify({ text: r.json.data.otpauth_url }) });
	const box = $("tfa-qr");
	box.replaceChildren();
	if (q.ok) {
		const doc = new DOMParser().parseFromString(await q.text(),
		    "image/svg+xml");
		const svg = doc.documentElement;
		if (svg && svg.nodeName === "svg")
			box.appendChild(document.importNode(svg, true));
	}
	$("tfa-enable").hidden = false;
	$("tfa-otp").focus();
}

async function tfaEnable(ev) {
	ev.preventDefault();
	showError("");
	const r = await api("POST", "/users/me/tfa/enable",
	    { secret: tfaSecret, otp: $("tfa-otp").value.trim() });
	if (r.status !== 200 && r.status !== 204) {
		showError(reason(r, "Two-factor authentication was not " +
		    "turned on"));
		return;
	}
	tfaSecret = "";
	$("tfa-enable").reset();
	$("tfa-qr").replaceChildren();
	$("tfa-secret").textContent = "";
	showStatus("Two-factor authentication is on. Make recovery codes " +
	    "with your next code.");
	await loadMe();
}

async function tfaRecovery(ev) {
	ev.preventDefault();
	showError("");
	const r = await api("POST", "/users/me/tfa/recovery-codes",
	    { otp: $("tfa-code").value.trim() });
	if (r.status !== 200) {
		showError(reason(r, "No recovery codes were made"));
		return;
	}
	$("tfa-manage").reset();
	const list = $("tfa-code-list");
	list.replaceChildren();
	for (const c of r.json.data.codes) {
		const li = document.createElement("li");
		li.textContent = c;
		list.appendChild(li);
	}
	$("tfa-codes").hidden = false;
}

async function tfaDisable() {
	showError("");
	const r = await api("POST", "/users/me/tfa/disable",
	    { otp: $("tfa-code").value.trim() });
	if (r.status !== 200 && r.status !== 204) {
		showError(reason(r, "Two-factor authentication was not " +
		    "turned off"));
		return;
	}
	$("tfa-manage").reset();
	$("tfa-codes").hidden = true;
	showStatus("Two-factor authentication is off.");
	await loadMe();
}

async function logout() {
	await api("POST", "/auth/logout", { mode: "session" });
	location.assign("./");
}

async function accountPage() {
	$("error").tabIndex = -1;
	$("logout").addEventListener("click", logout);
	$("password-form").addEventListener("submit", changePassword);
	$("token-create").addEventListener("click", function () {
		setToken(randomToken());
	});
	$("token-revoke").addEventListener("click", function () {
		setToken(null);
	});
	$("tfa-generate").addEventListener("submit", tfaGenerate);
	$("tfa-enable").addEventListener("submit", tfaEnable);
	$("tfa-manage").addEventListener("submit", tfaRecovery);
	$("tfa-disable").addEventListener("click", tfaDisable);
	if (await loadMe())
		await loadSessions();
}

if (document.body.dataset.page === "login")
	loginPage();
else if (document.body.dataset.page === "account")
	accountPage();
