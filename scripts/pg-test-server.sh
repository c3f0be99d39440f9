#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests, on loopback only.
#
#   pg-test-server.sh start DIR   creates DIR, initdb + start, writes DIR/url
#   pg-test-server.sh stop DIR    stops the server (immediate) and removes DIR
#
# DIR/url holds the admin URL postgresql://orsa:PASS@127.0.0.1:PORT/postgres
# (superuser `orsa`, random password, scram-sha-256). The unix socket lives in
# DIR too. Both commands are idempotent. initdb refuses to run as root, so as
# root the server runs as the `postgres` OS user and DIR is chowned to it.
set -euo pipefail

readonly kMarker=.orsa-pg-test

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

find_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return
    fi
  done
  die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
}

# Runs a command as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  ss -Htln 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$1\$"
}

pick_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! port_in_use "$port"; then
      echo "$port"
      return
    fi
  done
  die "no free TCP port found on 127.0.0.1"
}

is_running() {
  [ -f "$1/data/PG_VERSION" ] && as_owner "$BINDIR/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# Removes DIR, but only when it is one of ours (or empty): never a random path.
remove_dir() {
  local dir=$1
  [ -e "$dir" ] || return 0
  if [ -e "$dir/$kMarker" ] || [ -z "$(ls -A "$dir")" ]; then
    rm -rf -- "$dir"
  else
    die "refusing to remove $dir: it was not created by this script"
  fi
}

start() {
  local dir=$1
  if is_running "$dir" && [ -s "$dir/url" ]; then
    echo "pg-test-server: already running ($dir/url)"
    return
  fi
  if [ -e "$dir/data/PG_VERSION" ]; then
    as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  remove_dir "$dir"
  mkdir -p "$dir"
  touch "$dir/$kMarker"
  chmod 0700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user"
    chown -R postgres: "$dir"
  fi

  local password
  password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  local pwfile="$dir/pwfile"
  (umask 077 && printf '%s\n' "$password" >"$pwfile")
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pwfile"
  if ! as_owner "$BINDIR/initdb" -D "$dir/data" -U orsa -A scram-sha-256 --pwfile="$pwfile" \
    -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$dir/initdb.log" >&2
    die "initdb failed in $dir/data"
  fi
  rm -f "$pwfile"

  local port started=0
  for _ in 1 2 3 4 5; do
    port=$(pick_port)
    if as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
    # Most likely the port was taken between the check and the bind: try another.
  done
  if [ "$started" -ne 1 ]; then
    tail -20 "$dir/server.log" >&2 || true
    die "could not start PostgreSQL in $dir (see $dir/server.log)"
  fi
  "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10 || die "server on port $port is not ready"

  (umask 077 && printf 'postgresql://orsa:%s@127.0.0.1:%s/postgres\n' "$password" "$port" \
    >"$dir/url")
  echo "pg-test-server: PostgreSQL listening on 127.0.0.1:$port; admin URL in $dir/url"
}

# An immediate stop normally takes well under a second. On a machine loaded by
# every other suite it once took over a minute, so the wait is bounded: after
# 15 s what is left is shown and killed, and the directory goes anyway.
stop_server() {
  local dir=$1 pid
  if as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -t 15 stop >/dev/null 2>&1; then
    return
  fi
  is_running "$dir" || return 0
  pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  echo "pg-test-server: the server did not stop within 15 s; killing it" >&2
  ps -o pid,stat,etime,args --ppid "${pid:-0}" -p "${pid:-0}" >&2 || true
  tail -20 "$dir/server.log" >&2 || true
  if [ -n "$pid" ]; then
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

stop() {
  local dir=$1
  if [ ! -e "$dir" ]; then
    echo "pg-test-server: nothing to stop in $dir"
    return
  fi
  if [ -e "$dir/data/PG_VERSION" ]; then
    stop_server "$dir"
  fi
  remove_dir "$dir"
  echo "pg-test-server: stopped and removed $dir"
}

[ $# -eq 2 ] || usage
[ -n "$2" ] || usage
BINDIR=$(find_bindir)
readonly BINDIR
DIR=$(realpath -m -- "$2")
case "$1" in
  start) start "$DIR" ;;
  stop) stop "$DIR" ;;
  *) usage ;;
esac
