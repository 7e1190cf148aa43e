#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make run: a demo configuration and database under ./run/, then tokend in
# the foreground on 127.0.0.1:8055 (with TLS=1 also TLS on 8443) with its
# logs on the terminal.  Started as root it runs with full privilege
# separation.  TOKEND_PORT picks another port, TOKEND_MAIL_PORT another
# relay port than make mailsink's 2525 and TOKEND_RUN another directory
# than ./run/ (regress/daemon/demo.sh).  ALG=EdDSA or ES256 signs the
# access tokens with that algorithm instead of HS256.
#
# Several hosts on one PostgreSQL: DATABASE=postgresql://... puts the
# credential store there, and the items too, reached as the role
# tokend_items (ITEMS_DATABASE, by default DATABASE with that user),
# which the demo makes with psql when it can, granted its own schema
# only.  RUNDIR (default run, below this tree) is the demo's directory,
# SECRET a secret file to use instead of making one (its tfa-key beside
# it): a second demo shares the first one's data with
#   make run DATABASE=... RUNDIR=run2 TOKEND_PORT=8056 SECRET=run/secret
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rundir=${RUNDIR:-run}
case "$rundir" in /*) ;; *) rundir=$top/$rundir ;; esac
run=${TOKEND_RUN:-$rundir}
port=${TOKEND_PORT:-8055}
mailport=${TOKEND_MAIL_PORT:-2525}
secret=$run/secret
tfakey=$run/tfa-key
if [ -n "$SECRET" ]; then
	case "$SECRET" in /*) secret=$SECRET ;; *) secret=$top/$SECRET ;; esac
	[ -f "$secret" ] || { echo "demo: SECRET $secret: no such file" >&2; exit 1; }
	tfakey=$(dirname "$secret")/tfa-key
fi
database=$run/keyd/db/credentials.db
items=$run/server/data/items.db
case "$DATABASE" in
"") ;;
postgresql://*|postgres://*)
	database=$DATABASE
	# The item role: DATABASE's URI with the user tokend_items.
	items=${ITEMS_DATABASE:-$(printf '%s\n' "$DATABASE" |
	    sed 's#^\(postgres[a-z]*://\)\([^@/]*@\)\{0,1\}#\1tokend_items@#')}
	if command -v psql >/dev/null 2>&1; then
		psql -X -q -v ON_ERROR_STOP=1 "$DATABASE" <<'SQL' >/dev/null ||
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tokend_items')
	THEN CREATE ROLE tokend_items LOGIN; END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS tokend_items AUTHORIZATION tokend_items;
SQL
		    echo "demo: could not make the role tokend_items and its" \
			"schema; make them as README says" >&2
	fi
	;;
*) echo "demo: DATABASE must be a postgresql:// URI" >&2; exit 1 ;;
esac

umask 022
mkdir -p "$run/server" "$run/keyd"
chmod 0755 "$run" "$run/server" "$run/keyd"
if [ "$(id -u)" -eq 0 ]; then
	"$top/etc/users.sh" _tokend _tokend_keyd _tokend_items _tokend_mail
	chown root:root "$run" "$run/server" "$run/keyd"
	# The item store belongs to the item processes' user since they
	# have one; a demo from before is handed over.
	if [ -d "$run/server/data" ]; then
		chown -R _tokend_items:_tokend_items "$run/server/data"
	fi
fi
# The demo's configuration, written to $run/tokend.conf.new: what may be
# done comes from access_policies, or from access_roles while tokend
# does not parse policies (see there).
conf_head() {
	cat <<CONF
# Demo configuration written by "make run"; see tokend.conf(5).
listen on 127.0.0.1 port $port
user "_tokend"
chroot "$run/server"
items "$items"
keyd {
	user "_tokend_keyd"
	chroot "$run/keyd"
	program "$top/keyd/keyd"
	database "$database"
	secret "$secret"
	tfa-key "$tfakey"
}
control socket "$run/tokend.sock"
# GET /server/metrics for clients on this machine.
metrics-allow "127.0.0.0/8, ::1"

# Mails go to "make mailsink" on 127.0.0.1:2525, which prints them.  The
# links of the password reset, invite and verification mails point to
# an application on localhost:3000: an allow list takes a URL equal to
# an entry, or whose part before "?" or "#" is one (not any URL that
# starts with it).  Anyone may sign up, into the role "member", once the
# address is verified.
auth {
	tfa-issuer "tokend demo"
	reset-url-allow "http://localhost:3000/reset"
	invite-url-allow "http://localhost:3000/invite"
	register yes
	register-role "member"
	register-verify yes
	register-url-allow "http://localhost:3000/verify"
}
mail {
	relay 127.0.0.1
	port $mailport
	from "noreply@tokend.test"
	project "tokend demo"
	reset-template "$top/etc/mail-reset.txt"
	invite-template "$top/etc/mail-invite.txt"
	verify-template "$top/etc/mail-verify.txt"
	exists-template "$top/etc/mail-exists.txt"
}

# A browser application on localhost:3000 may call tokend (CORS), and
# send its cookies with a POST, PATCH or DELETE.
cors {
	origin "http://localhost:3000 http://127.0.0.1:3000"
}

collection "articles" {
	fields "title" "body" "status" "author"
}

# The sign-in portal on http://127.0.0.1:$port/portal/, its pages read
# from this tree; a login may go back to the demo app of "make
# demo-proxy" on http://127.0.0.1:8080/.
portal {
	title "tokend demo"
	redirect-allow "http://127.0.0.1:8080/"
	directory "$top/portal"
}
CONF
}
# Who may do what, as Directus 11 policies: anyone (the public policy)
# and the readers read the published articles; the authors write
# articles, each one its own author (the preset), and change or delete
# only their own.  An editor holds both policies; a member, who signed
# up, only the readers'.
access_policies() {
	cat <<CONF
policy "authors" {
	id "9a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c21"
	app-access yes
	permission "articles" create {
		presets '{"author":"\$CURRENT_USER"}'
	}
	permission "articles" read
	permission "articles" update delete {
		filter '{"author":{"_eq":"\$CURRENT_USER"}}'
	}
}
policy "readers" {
	id "8b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d52"
	permission "articles" read {
		filter '{"status":{"_eq":"published"}}'
	}
}
role "editor" {
	id "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60"
	policy "authors"
	policy "readers"
}
role "member" {
	id "0d7c4a2e-9b31-4f6a-8e25-6c1f3b9a7d40"
	policy "readers"
}
public {
	permission "articles" read {
		filter '{"status":{"_eq":"published"}}'
	}
}
CONF
}
( umask 077
  { conf_head; access_policies; } > "$run/tokend.conf.new" )
# A configuration from before the demo had collections, a TFA key,
# public registration, metrics, CORS, policies or the portal is set aside.
if [ -f "$run/tokend.conf" ] && { ! grep -q '^collection ' "$run/tokend.conf" ||
    ! grep -q 'tfa-key' "$run/tokend.conf" ||
    ! grep -q '^[[:space:]]*register yes' "$run/tokend.conf" ||
    ! grep -q '^metrics-allow' "$run/tokend.conf" ||
    ! grep -q '^cors ' "$run/tokend.conf" ||
    ! grep -q '^portal ' "$run/tokend.conf" ||
    [ "$(grep -E '^(listen on|items|	database|	secret|	tfa-key) ' \
    "$run/tokend.conf")" != "$(grep -E \
    '^(listen on|items|	database|	secret|	tfa-key) ' \
    "$run/tokend.conf.new")" ] ||
    { grep -q '^policy ' "$run/tokend.conf.new" &&
    ! grep -q '^policy ' "$run/tokend.conf"; }; }
then
	mv "$run/tokend.conf" "$run/tokend.conf.old"
	echo "demo: older $run/tokend.conf moved to tokend.conf.old"
fi
if [ ! -f "$run/tokend.conf" ]; then
	mv "$run/tokend.conf.new" "$run/tokend.conf"
	echo "demo: wrote $run/tokend.conf"
else
	rm -f "$run/tokend.conf.new"
fi
# First start with an empty user table: an administrator with a random
# password, printed once and kept in run/admin-password (mode 0600).
bootstrap() {
	ctl="$top/tokenctl/tokenctl -s $run/tokend.sock"
	i=0
	# Until keyd and every worker are ready (status says "(starting)"
	# before): keyd migrates the store first, which on a first start on
	# PostgreSQL takes a while.  A minute at most.
	until st=$($ctl status 2>/dev/null) &&
	    ! printf '%s\n' "$st" | grep -q '(starting)'; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "demo: tokend not ready in 60 s: nothing seeded" >&2
			return
		fi
		sleep 0.1
	done
	[ -n "$($ctl user list 2>/dev/null)" ] && return
	pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	( umask 077; printf '%s\n' "$pw" > "$run/admin-password" )
	if printf '%s\n' "$pw" | $ctl user add -r admin admin@example.com \
	    >/dev/null; then
		echo "demo: created admin@example.com with password $pw"
		echo "demo: (also in $run/admin-password)"
		seed "$pw"
	else
		echo "demo: could not create admin@example.com" >&2
	fi
}
# Three articles, written through the items API as the administrator:
# two published (the public role reads them), one draft (it does not).
seed() {
	url="http://127.0.0.1:$port"
	token=$(curl -s -H 'Content-Type: application/json' -d \
	    "{\"email\":\"admin@example.com\",\"password\":\"$1\"}" \
	    "$url/auth/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || { echo "demo: could not log in to seed" >&2; return; }
	curl -s -o /dev/null -w '' -H "Authorization: Bearer $token" \
	    -H 'Content-Type: application/json' -d '[
	    {"title":"Hello, tokend","body":"The first published article.","status":"published"},
	    {"title":"Permissions","body":"The public role reads published articles only.","status":"published"},
	    {"title":"Unfinished","body":"A draft: only editors and admins see it.","status":"draft"}]' \
	    "$url/items/articles" && echo "demo: seeded 3 articles (2 published, 1 draft)"
}
bootstrap &

# make run TLS=1: TLS on 127.0.0.1:8443 as well, with a self-signed
# certificate made once under run/tls/, through a configuration that
# includes the demo's and adds the tls listener.
conf="$run/tokend.conf"
if [ -n "$TLS" ] && [ "$TLS" != 0 ]; then
	tls_port=${TOKEND_TLS_PORT:-8443}
	mkdir -p "$run/tls"
	chmod 0700 "$run/tls"
	if [ ! -f "$run/tls/cert.pem" ]; then
		openssl req -x509 -newkey ec \
		    -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
		    -subj /CN=localhost \
		    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		    -keyout "$run/tls/key.pem" -out "$run/tls/cert.pem" \
		    2>/dev/null
		echo "demo: made a self-signed certificate, $run/tls/cert.pem"
	fi
	conf="$run/tokend-tls.conf"
	( umask 077; cat > "$conf" <<CONF
# Written by "make run TLS=1": the demo's configuration and TLS.
include "$run/tokend.conf"
listen on 127.0.0.1 port $tls_port tls
tls {
	certificate "$run/tls/cert.pem"
	key "$run/tls/key.pem"
}
CONF
	)
	echo "demo: and on https://127.0.0.1:$tls_port/, try: curl --cacert" \
	    "$run/tls/cert.pem https://127.0.0.1:$tls_port/server/ping"
fi

# make run ALG=EdDSA (or ES256): access tokens signed with that
# algorithm, its key made once next to the secret; the public keys are
# at /.well-known/jwks.json.  Without ALG, HS256 as Directus.
if [ -n "$ALG" ] && [ "$ALG" != HS256 ]; then
	case "$ALG" in
	EdDSA|ES256) ;;
	*) echo "demo: ALG must be HS256, EdDSA or ES256" >&2; exit 1 ;;
	esac
	( umask 077; cat > "$run/tokend-$ALG.conf" <<CONF
# Written by "make run ALG=$ALG": the demo's configuration, $ALG tokens.
include "$conf"
signing {
	algorithm $ALG
}
CONF
	)
	conf="$run/tokend-$ALG.conf"
	echo "demo: tokens signed with $ALG, public keys:" \
	    "curl http://127.0.0.1:$port/.well-known/jwks.json"
fi

echo "demo: tokend on http://127.0.0.1:$port/ (Ctrl-C stops it)"
echo "demo: sign-in portal: http://127.0.0.1:$port/portal/"
echo "demo: try: curl http://127.0.0.1:$port/server/ping"
echo "demo: public data: curl http://127.0.0.1:$port/items/articles"
echo "demo: log in: curl -H 'Content-Type: application/json' -d" \
    "'{\"email\":\"admin@example.com\",\"password\":\"PASSWORD\"}'" \
    "http://127.0.0.1:$port/auth/login"
echo "demo: mail goes to 127.0.0.1:$mailport: make mailsink prints it"
echo "demo: an application behind nginx and forward auth: make demo-proxy"
exec "$top/server/tokend" -d -f "$conf"
