# Sourced by shell tests: starts a real orsa-deployer on a free loopback
# port with its own data dir, and small JSON/API helpers (curl + python3).
start_deployer() {  # bin work_dir [flags...]
  local bin=$1 dir=$2
  shift 2
  ORSA_ADMIN_PASSWORD=${ORSA_ADMIN_PASSWORD:-admin-password-for-tests} \
    "$bin" --listen 127.0.0.1:0 --data-dir "$dir/data" --ready-file "$dir/ready" \
    --log-level warn "$@" >"$dir/deployer.log" 2>&1 &
  DEPLOYER_PID=$!
  for _ in $(seq 1 600); do
    [ -s "$dir/ready" ] && break
    kill -0 "$DEPLOYER_PID" 2>/dev/null || { cat "$dir/deployer.log"; return 1; }
    sleep 0.05
  done
  URL=$(cat "$dir/ready")
  HOSTPORT=${URL#http://}
}

stop_deployer() {
  [ -n "${DEPLOYER_PID:-}" ] || return 0
  kill "$DEPLOYER_PID" 2>/dev/null || true
  wait "$DEPLOYER_PID" 2>/dev/null || true
}

json_get() {  # field-path (python expression on `d`) < json
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

api() {  # method path token [json-body]
  local args=(-sS -X "$1" "$URL$2" -H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}"
}

register() {  # username → session token
  curl -sSf "$URL/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"email\":\"$1@example.org\",\"password\":\"password-1234\"}" |
    json_get 'd["token"]'
}
