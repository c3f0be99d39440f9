#!/usr/bin/env bash
# Sign in with GitHub, by GitHub's documented contract: a real orsa-deployer
# (no container runtime needed) against a loopback stand-in of GitHub's
# OAuth and REST endpoints (tests/github/standin.py, recorded answers),
# reached through the same --github-url/--github-api-url flags that point a
# deployer at GitHub Enterprise. curl plays the browser, with a cookie jar.
#   github_login_contract_test.sh DEPLOYER
# Checked: the provider is listed; start → authorize (PKCE S256, state,
# scopes) → callback → a session for the user /user names, its primary
# verified e-mail; the code exchange carries the secret and the verifier;
# API calls carry a User-Agent; a callback in another browser, a replayed
# callback and a refused code sign nobody in; --github-orgs admits members
# only; --registration closed refuses new users unless --github-trusted.
set -euo pipefail
DEPLOYER=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"

begin_test github
export ORSA_ADMIN_PASSWORD=admin-password-for-github
standin_pid=
stop_standin() { [ -z "$standin_pid" ] || { kill "$standin_pid" 2>/dev/null; wait "$standin_pid" 2>/dev/null || true; }; }
trap 'stop_standin; end_test' EXIT

start_standin() {  # orgs
  stop_standin
  rm -f "$work/github.ready"
  python3 "$here/github/standin.py" --ready "$work/github.ready" --orgs "$1" &
  standin_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/github.ready" ] && break; sleep 0.05; done
  GITHUB=$(cat "$work/github.ready")
}

start_with() {  # extra deployer flags...
  stop_deployer
  printf 'contract-secret\n' >"$work/github-secret"
  start_deployer "$DEPLOYER" "$work" --no-runtime --github-client-id Iv1.orsa-contract \
    --github-client-secret-file "$work/github-secret" --github-url "$GITHUB" \
    --github-api-url "$GITHUB/api/v3" --github-default-role developer "$@"
}

# A browser: its own cookie jar. Prints the final URL after the redirects.
sign_in() {  # jar [next]
  curl -sS -o /dev/null -w '%{url_effective}' -c "$1" -b "$1" -L --max-redirs 5 \
    "$URL/api/v1/auth/oidc/github/start?next=${2:-/projects}"
}
me() { curl -sS -o /dev/null -w '%{http_code}' -b "$1" "$URL/api/v1/me"; }

start_standin acme
start_with

step "the provider is listed for the login page"
providers=$(curl -sSf "$URL/api/v1/auth/providers")
[ "$(echo "$providers" | json_get '[(p["id"], p["name"], p["kind"]) for p in d["providers"]]')" = \
  "[('github', 'GitHub', 'github')]" ] || fail "providers: $providers"

step "start → GitHub → callback: a session for the user GitHub names"
landed=$(sign_in "$work/ada.jar" /projects)
[ "$landed" = "$URL/projects" ] || fail "landed on $landed"
[ "$(me "$work/ada.jar")" = 200 ] || fail "no session after the callback"
user=$(curl -sS -b "$work/ada.jar" "$URL/api/v1/me")
[ "$(echo "$user" | json_get '(d["username"], d["email"], d["role"])')" = \
  "('octocat', 'octocat@example.org', 'developer')" ] || fail "user: $user"
grep -q $'\torsa_csrf\t' "$work/ada.jar" || fail "no CSRF cookie beside the session"

step "what GitHub was asked"
calls=$(curl -sS "$GITHUB/__calls")
echo "$calls" | python3 -c '
import json, sys
calls = json.load(sys.stdin)
auth = next(c for c in calls if c["path"] == "/login/oauth/authorize")["query"]
assert auth["code_challenge_method"] == "S256" and len(auth["code_challenge"]) == 43, auth
assert auth["scope"] == "read:user user:email", auth["scope"]
assert auth["redirect_uri"].endswith("/api/v1/auth/oidc/github/callback"), auth
assert len(auth["state"]) >= 32, auth
token = next(c for c in calls if c["path"] == "/login/oauth/access_token")
assert {"client_id", "client_secret", "code", "code_verifier", "redirect_uri"} <= set(token["fields"]), token
assert token["accept"] == "application/json", token
api = [c for c in calls if c["path"].startswith("/user")]
assert [c["path"] for c in api] == ["/user", "/user/emails"], api
assert all(c["user_agent"] for c in api), api
' || fail "GitHub was asked the wrong things: $calls"

step "the same GitHub user again: the same account"
sign_in "$work/ada2.jar" >/dev/null
[ "$(curl -sS -b "$work/ada2.jar" "$URL/api/v1/me" | json_get 'd["id"]')" = \
  "$(echo "$user" | json_get 'd["id"]')" ] || fail "a second account for the same GitHub user"

step "a callback carried to another browser signs nobody in (login CSRF)"
authorize=$(curl -sS -o /dev/null -w '%{redirect_url}' -c "$work/attacker.jar" \
  "$URL/api/v1/auth/oidc/github/start")
callback=$(curl -sS -o /dev/null -w '%{redirect_url}' "$authorize")
res=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$work/victim.jar" "$callback")
case $res in
  "303 $URL/login?error="*browser*) ;;
  *) fail "callback in another browser: $res" ;;
esac
[ "$(me "$work/victim.jar")" = 401 ] || fail "the other browser got a session"

step "a replayed callback signs nobody in"
curl -sS -o /dev/null -c "$work/replay.jar" -b "$work/attacker.jar" "$callback"
[ "$(me "$work/replay.jar")" = 200 ] || fail "the genuine callback did not sign in"
res=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$work/replay2.jar" \
  -b "$work/attacker.jar" "$callback")
case $res in
  "303 $URL/login?error="*) ;;
  *) fail "replayed callback: $res" ;;
esac
[ "$(me "$work/replay2.jar")" = 401 ] || fail "a replayed callback gave a session"

step "a code GitHub refuses signs nobody in"
authorize=$(curl -sS -o /dev/null -w '%{redirect_url}' -c "$work/forged.jar" \
  "$URL/api/v1/auth/oidc/github/start")
state=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["state"][0])' "$authorize")
res=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$work/forged.jar" \
  -c "$work/forged.jar" "$URL/api/v1/auth/oidc/github/callback?code=forged&state=$state")
case $res in
  "303 $URL/login?error="*GitHub*refused*) ;;
  *) fail "forged code: $res" ;;
esac
[ "$(me "$work/forged.jar")" = 401 ] || fail "a forged code gave a session"

step "--github-orgs: members only"
start_with --github-orgs other
landed=$(sign_in "$work/outsider.jar")
case $landed in
  "$URL/login?error="*organisation*) ;;
  *) fail "a non-member landed on $landed" ;;
esac
[ "$(me "$work/outsider.jar")" = 401 ] || fail "a non-member got a session"
start_with --github-orgs acme
sign_in "$work/member.jar" >/dev/null
[ "$(me "$work/member.jar")" = 200 ] || fail "a member was refused"
grep -q '"/user/orgs"' <(curl -sS "$GITHUB/__calls") || fail "membership was never asked"

step "--registration closed: no new user unless the provider is trusted"
stop_deployer
rm -rf "$DATA"
start_with --registration closed
landed=$(sign_in "$work/closed.jar")
case $landed in
  "$URL/login?error="*registration*) ;;
  *) fail "closed registration landed on $landed" ;;
esac
[ "$(me "$work/closed.jar")" = 401 ] || fail "closed registration gave a session"
start_with --registration closed --github-trusted
sign_in "$work/trusted.jar" >/dev/null
[ "$(me "$work/trusted.jar")" = 200 ] || fail "a trusted provider could not sign up"

echo "PASS ($(($(date +%s) - started_at)) s)"
