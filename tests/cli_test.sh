#!/usr/bin/env bash
# The `orsa` command-line client end to end: the real binary against a real
# orsa-deployer on loopback (its own podman service, the python-or base kept
# by the base_python_or fixture).
#   cli_test.sh DEPLOYER BUILDER ORSA SOURCE_DIR BASE_DIR
# Login (a wrong password exits 3 and writes nothing; the config is 0600),
# init → edit → push (honouring .orsaignore) → build --follow → deploy --wait
# → call → the optimal answer; a push racing a change made through the API
# exits 5 and changes nothing; --output json parses; runs (submit, cancel,
# --follow and --wait to the optimum); a server killed mid-stream ends the
# stream with a clear error.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 ORSA=$(realpath "$3") SRC=$4 BASE_DIR=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/base_python_or.sh"

begin_test cli
fail() {  # with the last command's output
  echo "FAIL: $*" >&2
  for f in "$work"/out "$work"/err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
  tail -n 30 "$work/deployer.log" >&2 || true
  exit 1
}
command -v jq >/dev/null || fail "jq is missing"

# orsa with its output kept in $work/out and $work/err; echoes the exit code.
orsa() {
  local rc=0
  "$ORSA" "$@" >"$work/out" 2>"$work/err" || rc=$?
  echo "$rc"
}
expect() {  # exit-code command...
  local want=$1 rc
  shift
  rc=$(orsa "$@")
  [ "$rc" = "$want" ] || fail "orsa $* exited $rc, not $want: $(cat "$work/err")"
}

export ORSA_ADMIN_PASSWORD=admin-password-for-cli
export XDG_CONFIG_HOME=$work/config
export NO_COLOR=1
start_deployer "$DEPLOYER" "$work" --builder-bin "$BUILDER" \
  --base-image orsa/base-python-or:latest --health-timeout 60s || fail "deployer did not start"
import_base_python_or "$BASE_DIR" || fail "importing the base image"
alice=$(register alice)
config=$XDG_CONFIG_HOME/orsa/config.toml

step "login: a wrong password exits 3 and writes no config"
rc=0
printf 'wrong-password\n' | "$ORSA" login --server "$URL" -u alice >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 3 ] || fail "a wrong password exited $rc"
grep -q 'HTTP 401, request id ' "$work/err" || fail "no status and request id: $(cat "$work/err")"
[ ! -e "$config" ] || fail "a failed login wrote $config"
echo "wrong password: exit 3: $(cat "$work/err")"

step "login: a token named for this host, the config file 0600"
printf 'password-1234\n' | "$ORSA" login --server "$URL" -u alice >"$work/out" 2>"$work/err" ||
  fail "login: $(cat "$work/err")"
[ "$(stat -c %a "$config")" = 600 ] || fail "config mode $(stat -c %a "$config")"
[ "$(stat -c %a "$(dirname "$config")")" = 700 ] || fail "config folder mode"
api GET /api/v1/tokens "$alice" | jq -e --arg n "orsa CLI on $(hostname)" \
  '[.tokens[] | select(.name == $n)] | length == 1' >/dev/null || fail "no CLI token on the server"
cli_tokens() {
  api GET /api/v1/tokens "$alice" | jq --arg n "orsa CLI on $(hostname)" '[.tokens[] | select(.name == $n)] | length'
}
printf 'password-1234\n' | "$ORSA" login --server "$URL" -u alice --profile other >/dev/null 2>&1 ||
  fail "login --profile other"
[ "$(cli_tokens)" = 2 ] || fail "a second profile's login made $(cli_tokens) tokens"
expect 0 logout --profile other
[ "$(cli_tokens)" = 1 ] || fail "logout left $(cli_tokens) tokens"
grep -A3 '\[profiles.other\]' "$config" | grep -q token && fail "logout left the token in the config"
expect 0 whoami --output json
[ "$(jq -r .username "$work/out")" = alice ] || fail "whoami: $(cat "$work/out")"
expect 0 version
grep -q '^server  0\.' "$work/out" || fail "version: $(cat "$work/out")"

step "examples: listed; init --example writes the example's files; an unknown one is refused"
expect 0 examples
grep -q '^transportation  *Transportation: beer distribution' "$work/out" || fail "examples: $(cat "$work/out")"
(cd "$work" && expect 0 init beer --example transportation)
cmp -s "$work/beer/input.json" "$SRC/examples/transportation/input.json" ||
  fail "init --example wrote $(ls -A "$work/beer")"
[ -f "$work/beer/.orsa/project.toml" ] || fail "init --example did not link the folder"
(cd "$work" && expect 1 init nope --example knapsack-deluxe)
grep -q "available: blend, facility-location, sudoku, transportation" "$work/err" ||
  fail "unknown example: $(cat "$work/err")"
[ ! -e "$work/nope" ] || fail "a refused init left a folder"

step "init, edit, .orsaignore, status"
cd "$work"
expect 0 init knapsack
cd knapsack
[ -f model.py ] && [ -f input.json ] && [ -f .orsa/project.toml ] || fail "init wrote $(ls -A)"
sed -i 's/"chosen": chosen,/"chosen": chosen,\n        "count": len(chosen),/' model.py
printf 'scratch/\n*.tmp\n' >.orsaignore
mkdir -p scratch __pycache__
echo junk >scratch/big.bin
echo junk >notes.tmp
echo junk >__pycache__/model.cpython-311.pyc
expect 0 status --output json
changes=$(jq -c '[.changes[] | [.path, .status]]' "$work/out")
[ "$changes" = '[[".orsaignore","added"],["model.py","modified"]]' ] || fail "status: $changes"

step "push: one commit, ignored files left out"
expect 0 push -m "Report the item count"
commits=$(api GET /api/v1/projects/alice/knapsack/commits "$alice")
[ "$(echo "$commits" | jq -r '.commits[0].message')" = "Report the item count" ] || fail "commit: $commits"
files=$(api GET /api/v1/projects/alice/knapsack/files "$alice" | jq -r '[.files[].path] | sort | join(",")')
echo "files on the server: $files"
case ",$files," in *scratch* | *notes.tmp* | *__pycache__* | *.orsa/*) fail "ignored files pushed: $files" ;; esac
case ",$files," in *,.orsaignore,*) ;; *) fail ".orsaignore not pushed: $files" ;; esac
expect 0 push
grep -q 'Nothing to push' "$work/out" || fail "a second push: $(cat "$work/out")"

step "a push racing a change made through the API: exit 5, nothing changed"
curl -sSf -X PUT --data-binary 'from the browser' -H "Authorization: Bearer $alice" \
  "$URL/api/v1/projects/alice/knapsack/files/NOTES.md?message=Web+edit" >/dev/null
before=$(api GET /api/v1/projects/alice/knapsack "$alice" | jq -r .head.sha)
echo "# mine" >>model.py
expect 5 push -m "Racing change"
grep -q 'changed on the server' "$work/err" || fail "conflict message: $(cat "$work/err")"
echo "conflict: $(cat "$work/err")"
after=$(api GET /api/v1/projects/alice/knapsack "$alice" | jq -r .head.sha)
[ "$before" = "$after" ] || fail "the conflicting push moved the head"
curl -sSf -H "Authorization: Bearer $alice" "$URL/api/v1/projects/alice/knapsack/files/model.py" |
  grep -q '# mine' && fail "the conflicting push wrote model.py"
expect 0 clone alice/knapsack "$work/second"
(cd "$work/second" && echo "second place" >SECOND.md && expect 0 push -m "From a second folder")
expect 5 push -m "Racing change"
expect 0 pull
[ "$(cat NOTES.md)" = 'from the browser' ] || fail "pull did not bring NOTES.md"
[ "$(cat SECOND.md)" = 'second place' ] || fail "pull did not bring SECOND.md"
grep -q '# mine' model.py || fail "pull lost the local change"
expect 0 push -m "After the pull"
[ "$(api GET /api/v1/projects/alice/knapsack/files/NOTES.md "$alice")" = 'from the browser' ] ||
  fail "the web edit was lost"

step "build --follow"
started=$(date +%s)
expect 0 build --follow
grep -q 'succeeded' "$work/out" || fail "build: $(cat "$work/out")"
[ -s "$work/err" ] || fail "build --follow streamed no log"
echo "build: $(cat "$work/out") in $(($(date +%s) - started)) s, $(wc -l <"$work/err") log lines"

step "deploy --wait, call"
expect 1 deploy --replicas 2  # one machine runs one replica: refused, nothing deployed
grep -q 'one replica per deployment' "$work/err" || fail "deploy --replicas 2: $(cat "$work/err")"
started=$(date +%s)
expect 0 deploy --wait
service=$(cat "$work/out")
case $service in http://*/alice/knapsack/) ;; *) fail "deploy printed '$service'" ;; esac
echo "deployed at $service in $(($(date +%s) - started)) s"
expect 0 call input.json
jq -e '.objective == 15 and .count == 4' "$work/out" >/dev/null || fail "answer: $(cat "$work/out")"
echo "answer: $(cat "$work/out")"

step "--output json of the listings"
expect 0 images ls --output json
image=$(jq -r '.images[0].id' "$work/out")
[ "$(jq '.images | length' "$work/out")" = 1 ] || fail "images: $(cat "$work/out")"
expect 0 deployments ls --output json
jq -e '([.deployments[] | select(.live)] | length == 1) and (.deployments | length == 1)' "$work/out" >/dev/null || fail "deployments"
dep=$(jq -r '.deployments[] | select(.live) | .id' "$work/out")
expect 0 tokens ls --output json
jq -e '.tokens | length >= 1' "$work/out" >/dev/null || fail "tokens"
expect 0 log --output json
[ "$(jq -r '.commits[0].message' "$work/out")" = "After the pull" ] || fail "log"
expect 0 deployments show "$dep" --output json
[ "$(jq -r .status "$work/out")" = healthy ] || fail "deployments show: $(cat "$work/out")"
expect 0 images show "$image" -o json
[ "$(jq -r .tag "$work/out")" = 1 ] || fail "images show: $(cat "$work/out")"
expect 0 deployments ls
head -n1 "$work/out" | grep -q '^ID  *PROJECT  *TAG  *STATUS' || fail "table: $(cat "$work/out")"
expect 0 logs --tail 5
[ "$(wc -l <"$work/out")" -le 5 ] || fail "logs --tail 5 printed $(wc -l <"$work/out") lines"
expect 4 images rm img_does_not_exist
expect 5 images rm "$image"  # the live deployment uses it

step "runs: submit, show, ls, cancel"
expect 0 run input.json --time-limit 60s --option seed=1 --output json
run=$(jq -r .id "$work/out")
[ "$(jq -r .options.seed "$work/out")" = 1 ] || fail "run options: $(cat "$work/out")"
[ "$(jq -r .limits.time_limit_s "$work/out")" = 60 ] || fail "run limits: $(cat "$work/out")"
expect 0 runs show "$run" --output json
[ "$(jq -r .id "$work/out")" = "$run" ] || fail "runs show"
expect 0 runs ls --output json
jq -e --arg id "$run" '[.runs[] | select(.id == $id)] | length == 1' "$work/out" >/dev/null ||
  fail "runs ls"
status=$(api GET "/api/v1/runs/$run" "$alice" | jq -r .status)
rc=$(orsa runs cancel "$run")
# The run may end between the read and the cancel: exit 5 is right only for
# a run that has ended by now, exit 0 only for one that had not.
after=$(api GET "/api/v1/runs/$run" "$alice" | jq -r .status)
case $rc:$status:$after in
  0:queued:* | 0:running:*) ;;
  5:*:succeeded | 5:*:failed | 5:*:invalid_input | 5:*:timed_out) ;;
  *) fail "cancel of a $status run exited $rc (now $after)" ;;
esac
expect 4 runs show run_does_not_exist

step "run --follow and --wait: the solver log on stderr, the result on stdout"
started=$(date +%s)
expect 0 run input.json --follow --time-limit 60s --wait-timeout 5m
jq -e '.objective == 15' "$work/out" >/dev/null || fail "run --follow: $(cat "$work/out")"
[ "$(wc -l <"$work/err")" -gt 1 ] || fail "run --follow streamed no log: $(cat "$work/err")"
echo "run --follow: $(jq -c . "$work/out") in $(($(date +%s) - started)) s, $(wc -l <"$work/err") log lines"
expect 0 run input.json --wait --option seed=2 --output json
jq -e '.status == "succeeded" and .result_json.objective == 15 and .options.seed == 2' "$work/out" \
  >/dev/null || fail "run --wait: $(cat "$work/out")"
expect 0 runs ls --status succeeded
# The first run may have ended before its cancel: 2 or 3 succeeded, as the API says.
succeeded=$(api GET "/api/v1/runs?status=succeeded" "$alice" | jq '.runs | length')
[ "$succeeded" -ge 2 ] && [ "$(grep -c ' succeeded ' "$work/out")" = "$succeeded" ] ||
  fail "runs ls --status succeeded (the API says $succeeded): $(cat "$work/out")"

step "a binary file: the folder goes as one archive commit, byte for byte"
printf '\x89PNG\r\n\x1a\n\x00\xff\xfe' >logo.png
head_before=$(api GET /api/v1/projects/alice/knapsack "$alice" | jq -r .head.sha)
expect 0 push -m "A logo"
api GET /api/v1/projects/alice/knapsack/files/logo.png "$alice" >"$work/logo.png"
cmp -s logo.png "$work/logo.png" || fail "the binary file changed on the way"
[ "$(api GET /api/v1/projects/alice/knapsack/commits "$alice" | jq -r '.commits[1].sha')" = "$head_before" ] ||
  fail "the archive push is not one commit on the previous head"
expect 0 status --output json
[ "$(jq '.changes | length' "$work/out")" = 0 ] || fail "changes after the push: $(cat "$work/out")"

step "a failed build exits 1 with its reason"
printf '\n[service]\nbogus_key = 1\n' >>orsa.toml
expect 0 push -m "Break orsa.toml"
expect 1 build --follow
grep -q 'failed' "$work/err" || fail "no reason: $(cat "$work/err")"
echo "failed build: $(tail -n1 "$work/err")"

step "a CI token instead of a password; help, usage errors and completion"
ci=$(api POST /api/v1/tokens "$alice" '{"name":"ci","scopes":["read"]}' | jq -r .secret)
ORSA_TOKEN=$ci "$ORSA" login --server "$URL" --profile ci >/dev/null 2>"$work/err" || fail "token login"
expect 0 whoami --profile ci
grep -q '^alice ' "$work/out" || fail "whoami --profile ci: $(cat "$work/out")"
expect 3 deployments stop "$dep" --profile ci  # a read-only token
for c in login logout whoami version "tokens create" init examples clone status push pull log open build \
  deploy call logs run "runs ls" "runs cancel" "images rm" "deployments stop" completion; do
  # shellcheck disable=SC2086
  "$ORSA" $c --help | grep -q '^  orsa ' || fail "orsa $c --help has no example"
done
expect 2 deploy --tag nope
expect 2 frobnicate
(cd "$work" && expect 2 status)  # not a project folder
"$ORSA" completion bash >"$work/completion.bash"
words=$(bash -c "source '$work/completion.bash'; COMP_WORDS=(orsa tokens cr); COMP_CWORD=2
  _orsa_complete; echo \${COMPREPLY[*]}" 2>"$work/completion.err")
[ "$words" = create ] || fail "bash completion offered '$words'"
[ ! -s "$work/completion.err" ] || fail "the completion script: $(cat "$work/completion.err")"
"$ORSA" completion zsh | head -n1 | grep -q '^#compdef orsa' || fail "zsh completion"

step "a server that never answers: the request times out"
python3 -c 'import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$work/silent.port" &
silent=$!
for _ in $(seq 1 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
started=$(date +%s%N)
rc=$(ORSA_TOKEN=orsa_x orsa whoami --server "http://127.0.0.1:$(cat "$work/silent.port")" --timeout 2)
elapsed=$((($(date +%s%N) - started) / 1000000))
kill "$silent"
echo "silent server: exit $rc after $elapsed ms: $(cat "$work/err")"
[ "$rc" = 1 ] || fail "whoami against a silent server exited $rc"
grep -q 'no answer in time' "$work/err" || fail "unclear: $(cat "$work/err")"
[ "$elapsed" -lt 5000 ] || fail "the 2 s timeout took $elapsed ms"

step "a server killed mid-stream: a clear error, quickly"
"$ORSA" logs -f >"$work/stream.out" 2>"$work/stream.err" &
stream=$!
for _ in $(seq 1 200); do [ -s "$work/stream.out" ] && break; sleep 0.05; done
[ -s "$work/stream.out" ] || fail "logs -f printed nothing"
kill -9 "$DEPLOYER_PID"
killed=$(date +%s%N)
rc=0
wait "$stream" || rc=$?
DEPLOYER_PID=
echo "stream ended $((($(date +%s%N) - killed) / 1000000)) ms after the kill, exit $rc: $(cat "$work/stream.err")"
[ "$rc" = 1 ] || fail "logs -f exited $rc"
grep -q 'connection to the server was lost' "$work/stream.err" || fail "unclear: $(cat "$work/stream.err")"
[ $((($(date +%s%N) - killed) / 1000000)) -lt 5000 ] || fail "the stream took too long to end"
rc=$(orsa whoami --timeout 5)
[ "$rc" = 1 ] || fail "whoami against a dead server exited $rc"
grep -q 'cannot reach' "$work/err" || fail "unclear: $(cat "$work/err")"

echo "PASS: the orsa CLI from login to a deployed model"
