#!/usr/bin/env bash
# A local "multi-machine" cluster on loopback, built only from Debian 12 packages, for
# failover tests of the gateway: every piece a production deployment would have twice
# (or more) runs here as separate processes that can be killed one at a time.
#
# Usage:
#   bash scripts/cluster.sh up [S]          start everything (S shards, default
#                                           $CLUSTER_SHARDS or 2); a second `up` only
#                                           starts what is missing and says so
#   bash scripts/cluster.sh down            stop everything it started, delete $CLUSTER_DIR
#   bash scripts/cluster.sh status          Patroni, Redis Cluster, HAProxy and gateway views
#   bash scripts/cluster.sh kill-primary I  SIGKILL shard I's leader (Patroni + PostgreSQL)
#   bash scripts/cluster.sh kill-redis-master [PORT]
#                                           SIGKILL one Redis Cluster master (default:
#                                           the lowest-port live master)
#   bash scripts/cluster.sh kill-gateway N  SIGKILL gateway N (1 or 2)
#   bash scripts/cluster.sh pause-gateway N / resume-gateway N   SIGSTOP / SIGCONT
#   bash scripts/cluster.sh revive          restart whatever is not running (and SIGCONT
#                                           paused gateways), then wait until healthy
#   bash scripts/cluster.sh leader I        print the name of shard I's current leader
#
# Ports (all 127.0.0.1):
#   2379/2380              etcd (client/peer), the DCS of every Patroni scope
#   5400+i                 HAProxy -> current leader of shard i (PostgreSQL protocol)
#   5501+10i, 5502+10i     PostgreSQL of shard i, nodes shard<i>-a / shard<i>-b
#   8101+10i, 8102+10i     Patroni REST API of those nodes (GET /primary answers 200 on
#                          the leader only, GET /sync 200 on the synchronous standby)
#   7000-7005              Redis Cluster (3 masters + 3 replicas)
#   8089                   simulators of the outside systems
#   8090                   HAProxy -> gateways 8091 and 8092
#   8404                   HAProxy stats page (CSV at http://127.0.0.1:8404/;csv)
#
# State lives in CLUSTER_DIR (default /var/tmp/gw-cluster): pidfiles in run/, logs in
# log/, one directory per PostgreSQL node under pg/, per Redis node under redis/. `up`
# writes $CLUSTER_DIR/cluster.env (KEY="value" lines, sourceable) for test harnesses.
#
# Knobs: CLUSTER_SYNC_STRICT=0 bootstraps Patroni with synchronous_mode_strict off
# (see the comment at patroni_config); CLUSTER_NO_BUILD=1 never runs cargo;
# CLUSTER_BIN_DIR points at prebuilt gateway/simulators binaries; CLUSTER_RUST_LOG
# sets the gateways' RUST_LOG (default warn); CLUSTER_ROUTE_CITIZENS=0 keeps the
# gateways' citizens on their one database instead of their home shards.
#
# This is a local test cluster: every PostgreSQL trusts every connection from
# 127.0.0.1, Redis and etcd have no passwords, and nothing listens beyond loopback.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLUSTER_DIR=${CLUSTER_DIR:-/var/tmp/gw-cluster}
D=$CLUSTER_DIR
PG_BIN=/usr/lib/postgresql/15/bin
REDIS_PORTS=(7000 7001 7002 7003 7004 7005)
GATEWAY_PORTS=(8091 8092)
LB_PORT=8090
SIM_PORT=8089
STATS_PORT=8404
BIN_DIR=${CLUSTER_BIN_DIR:-$ROOT/target/release}
# Every process we start carries this variable (PostgreSQL inherits it from Patroni,
# daemonized Redis from its launcher), so `down` can find stragglers by this exact tag
# instead of by a name that other people's processes on this machine share.
TAG="GW_CLUSTER_DIR=$D"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '%s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

pg_port() { echo $((5501 + 10 * $1 + $2)); }   # $2: 0 for node a, 1 for node b
rest_port() { echo $((8101 + 10 * $1 + $2)); }
lb_pg_port() { echo $((5400 + $1)); }
node_name() { local x=(a b); echo "shard$1-${x[$2]}"; }
node_dir() { echo "$D/pg/$(node_name "$1" "$2")"; }

shards() { cat "$D/shards" 2>/dev/null || echo 0; }

# --- processes -------------------------------------------------------------------

# R, S, T (stopped), Z... of pid $1; the command name before it may contain spaces.
proc_state() { local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; stat=${stat##*) }; echo "${stat%% *}"; }

# Prints the pid recorded in pidfile $1 if that process is alive (not a zombie) and its
# command line contains $2; guards against a recycled pid after a crash.
live_pid() {
  local file=$1 want=$2 pid state
  [ -s "$file" ] || return 1
  pid=$(head -n 1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(proc_state "$pid") || return 1
  [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want" || return 1
  echo "$pid"
}

# Starts "$@" in its own session (so a harness killing the caller's process group
# leaves the cluster alone), with output appended to log $2 and its real pid in
# pidfile $1: the inner bash records $$ and then execs, so the pid survives the exec.
spawn() {
  local pidfile=$1 log=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  setsid env "$TAG" bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    >>"$log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "could not start $*"
}

# Polls "$@" every 0.5 s for up to $1 seconds.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || { say "timed out after ${timeout}s waiting for $what (logs in $D/log)" >&2; return 1; }
    sleep 0.5
  done
}

# SIGTERM, then SIGKILL if still there after $2 seconds. SIGCONT as well, because a
# paused process keeps a SIGTERM pending and would never exit.
stop_pid() {
  local pid=$1 grace=${2:-10}
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    [ "$(proc_state "$pid")" != Z ] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Ours if it carries the tag, or (Redis, whose process title overwrites the memory
# /proc/<pid>/environ shows) if it runs inside our directory.
owned() {
  local cwd
  grep -qzxF -- "$TAG" "/proc/$1/environ" 2>/dev/null && return 0
  cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || return 1
  [[ $cwd == "$D"/* ]]
}

owned_pids() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" != $$ ] || continue
    owned "$p" && echo "$p"
  done
  return 0
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

STARTED=0   # how many processes this run started; 0 on an `up` means already up
ANNOUNCE=0  # `revive` names what it restarts
started() {
  STARTED=$((STARTED + 1))
  [ "$ANNOUNCE" = 0 ] || say "started $1"
}

# --- packages --------------------------------------------------------------------

install_packages() {
  # python3-etcd and python3-psycopg2 are what Patroni's etcd3 DCS and its PostgreSQL
  # connections import; curl and procps for the checks below.
  local packages=(patroni etcd-server etcd-client haproxy postgresql redis-server
    python3-etcd python3-psycopg2 curl procps)
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing: ${missing[*]}"
  # The packages' own services (etcd, haproxy, patroni) must not start with Debian's
  # default configuration on our ports: deny service starts for the install unless
  # the machine already has a policy (containers usually do).
  local policy=/usr/sbin/policy-rc.d added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added=1
  fi
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  [ $added = 0 ] || as_root rm -f "$policy"
}

# --- etcd ------------------------------------------------------------------------

etcd_pid() { live_pid "$D/run/etcd.pid" "--data-dir $D/etcd"; }
etcd_ok() { curl -s -m 2 http://127.0.0.1:2379/health 2>/dev/null | grep -q '"health":"true"'; }

ensure_etcd() {
  etcd_pid >/dev/null && return 0
  mkdir -p "$D/etcd"
  # One member is enough: the test is about PostgreSQL and Redis failing over, and a
  # single etcd keeps the 2-core machine free. --initial-cluster-state is ignored
  # once the data directory exists, so the same command line restarts it.
  spawn "$D/run/etcd.pid" "$D/log/etcd.log" etcd --name gw-cluster \
    --data-dir "$D/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster gw-cluster=http://127.0.0.1:2380 --initial-cluster-token gw-cluster \
    --initial-cluster-state new --auto-compaction-retention 1 --logger zap
  started "etcd"
}

# --- Patroni + PostgreSQL --------------------------------------------------------

# DCS: `etcd3:`. Patroni 3.0.2 talks to etcd's v3 JSON gateway (/v3 on etcd 3.4) with
# urllib3, so it needs no grpc or python3-etcd3; `etcd:` would need the v2 API, which
# etcd 3.4 serves only with --enable-v2 and which etcd upstream has dropped since.
#
# Timing: a dead leader's key expires after ttl (10 s) and the standby's next loop
# (loop_wait 2 s) promotes it; Patroni wants loop_wait + 2 * retry_timeout <= ttl.
#
# synchronous_mode_strict (the default here, CLUSTER_SYNC_STRICT=1) means a commit is
# acknowledged only once the standby has it, so no acknowledged payment is lost in a
# failover; the price with two nodes per shard is that after one dies the survivor is
# promoted but its commits wait until the other rejoins (`revive`). With
# CLUSTER_SYNC_STRICT=0 the survivor accepts writes alone.
patroni_config() {
  local i=$1 n=$2 dir strict=true
  dir=$(node_dir "$i" "$n")
  [ "${CLUSTER_SYNC_STRICT:-1}" != 0 ] || strict=false
  cat <<EOF
scope: gw-shard$i
namespace: /gw-cluster/
name: $(node_name "$i" "$n")
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(rest_port "$i" "$n")
  connect_address: 127.0.0.1:$(rest_port "$i" "$n")
etcd3:
  hosts: 127.0.0.1:2379
watchdog:
  mode: off
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: $strict
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_prepared_transactions: 0
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        shared_buffers: 64MB
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
postgresql:
  listen: 127.0.0.1:$(pg_port "$i" "$n")
  connect_address: 127.0.0.1:$(pg_port "$i" "$n")
  data_dir: $dir/data
  bin_dir: $PG_BIN
  pgpass: $dir/pgpass
  # A crashed old primary that pg_rewind cannot fix is re-cloned instead of left
  # down, so \`revive\` always ends with two nodes.
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
  # Local test cluster: trust everything from loopback, like the development setup.
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
  parameters:
    unix_socket_directories: $dir
EOF
}

patroni_pid() { live_pid "$D/run/$(node_name "$1" "$2").pid" "patroni $(node_dir "$1" "$2")/patroni.yml"; }

postmaster_pid() {
  local dir pid
  dir=$(node_dir "$1" "$2")/data
  [ -r "$dir/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$dir/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir" || return 1
  echo "$pid"
}

ensure_patroni() {
  local i=$1 n=$2 dir
  patroni_pid "$i" "$n" >/dev/null && return 0
  dir=$(node_dir "$i" "$n")
  mkdir -p "$dir"
  patroni_config "$i" "$n" >"$dir/patroni.yml"
  chown -R postgres:postgres "$dir"
  chmod 700 "$dir"
  # PostgreSQL refuses to run as root. setpriv rather than runuser: runuser forks and
  # waits, so its pid would not be Patroni's and SIGKILLing it would leave Patroni up.
  spawn "$D/run/$(node_name "$i" "$n").pid" "$D/log/$(node_name "$i" "$n").log" \
    env HOME=/var/lib/postgresql LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    setpriv --reuid=postgres --regid=postgres --init-groups \
    patroni "$dir/patroni.yml"
  started "$(node_name "$i" "$n")"
}

# Index (0/1) of shard $1's leader, from the REST API: GET /primary is 200 only there.
leader_of() {
  local n
  for n in 0 1; do
    [ "$(http_code "http://127.0.0.1:$(rest_port "$1" "$n")/primary")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}

shard_healthy() {
  local l
  l=$(leader_of "$1") || return 1
  [ "$(http_code "http://127.0.0.1:$(rest_port "$1" $((1 - l)))/sync")" = 200 ]
}

# A real write through HAProxy, committed like the gateway's (waiting for the
# synchronous standby). It must change a row: a transaction that only took an xid
# (txid_current()) writes no WAL before its commit record and so never waits for the
# standby. One row per shard, in the postgres database.
shard_writable() {
  PGCONNECT_TIMEOUT=2 timeout 5 psql -h 127.0.0.1 -p "$(lb_pg_port "$1")" -U postgres \
    -d postgres -Atq -v ON_ERROR_STOP=1 \
    -c 'create table if not exists cluster_probe (id int primary key, at timestamptz not null)' \
    -c 'insert into cluster_probe values (1, now()) on conflict (id) do update set at = excluded.at' \
    >/dev/null 2>&1
}

# --- Redis Cluster ---------------------------------------------------------------

redis_pid() { live_pid "$D/run/redis-$1.pid" "127.0.0.1:$1"; }
redis_ok() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  local port=$1
  redis_pid "$port" >/dev/null && return 0
  mkdir -p "$D/redis/$port"
  # No persistence: a restarted node comes back empty and, being a replica by then,
  # resyncs from its master. nodes-<port>.conf keeps its cluster identity across
  # restarts, so `revive` rejoins rather than forms a new cluster.
  env "$TAG" redis-server --port "$port" --bind 127.0.0.1 \
    --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
    --cluster-node-timeout 3000 --save '' --appendonly no \
    --dir "$D/redis/$port" --daemonize yes --pidfile "$D/run/redis-$port.pid" \
    --logfile "$D/log/redis-$port.log" >>"$D/log/redis-$port.out" 2>&1 </dev/null
  started "Redis $port"
}

# Some live node to ask about the cluster.
redis_any() {
  local port
  for port in "${REDIS_PORTS[@]}"; do redis_ok "$port" && { echo "$port"; return 0; }; done
  return 1
}

# Healthy means more than cluster_state:ok, which a cluster also reports with a master
# dead but not yet failed over, or with a restarted node that has not yet learnt it is
# now a replica: every node must see the same three masters, nobody failing, and every
# replica's link to its master up (so it has resynced).
redis_cluster_ok() {
  local port nodes
  for port in "${REDIS_PORTS[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    nodes=$(redis-cli -p "$port" cluster nodes 2>/dev/null) || return 1
    ! grep -qE 'fail|disconnected|handshake|noaddr' <<<"$nodes" || return 1
    [ "$(awk '$3 ~ /master/' <<<"$nodes" | wc -l)" = 3 ] || return 1
    if redis-cli -p "$port" role 2>/dev/null | head -n 1 | grep -q slave; then
      redis-cli -p "$port" info replication | grep -q '^master_link_status:up' || return 1
    fi
  done
}

form_redis_cluster() {
  local port addrs=()
  for port in "${REDIS_PORTS[@]}"; do
    wait_for 10 "redis $port" redis_ok "$port"
    addrs+=("127.0.0.1:$port")
  done
  if ! redis-cli -p "${REDIS_PORTS[0]}" cluster info | grep -q '^cluster_slots_assigned:16384'; then
    # Fails on nodes that already know each other, so only on a fresh cluster.
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
      >"$D/log/redis-create.log" 2>&1 || { cat "$D/log/redis-create.log" >&2; die "redis-cli --cluster create failed"; }
  fi
}

# --- HAProxy ---------------------------------------------------------------------

haproxy_pid() { live_pid "$D/run/haproxy.pid" "$D/haproxy/haproxy.cfg"; }

haproxy_config() {
  local s=$1 i
  cat <<EOF
global
  maxconn 4096
  stats socket $D/haproxy/admin.sock mode 600 level admin

defaults
  timeout connect 2s
  timeout check 2s
  timeout client 10s
  timeout server 10s
  timeout queue 5s

listen stats
  bind 127.0.0.1:$STATS_PORT
  mode http
  stats enable
  stats uri /
  stats refresh 2s

EOF
  for ((i = 0; i < s; i++)); do
    cat <<EOF
# Shard $i: only the node whose Patroni says it is the primary receives connections.
# When that changes, sessions to the old one are cut so no client keeps writing to a
# demoted (or fenced) node; pooled connections idle for long, hence 30 min timeouts.
listen pg-shard$i
  bind 127.0.0.1:$(lb_pg_port "$i")
  mode tcp
  option tcpka
  timeout client 30m
  timeout server 30m
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
  server $(node_name "$i" 0) 127.0.0.1:$(pg_port "$i" 0) check port $(rest_port "$i" 0)
  server $(node_name "$i" 1) 127.0.0.1:$(pg_port "$i" 1) check port $(rest_port "$i" 1)

EOF
  done
  cat <<EOF
# The gateways. A request that never reached one (connection refused: killed) is
# always retried on the other. A request that may have been processed (connection
# closed without answer, or no answer within 10 s: paused) is replayed only when
# replaying is harmless: safe methods, or a POST carrying an Idempotency-Key, which
# the gateway answers from its idempotency record instead of executing twice. Never a
# merchant's signed request: its nonce was spent by the gateway that saw it first, so
# a replay could only be refused; the merchant re-signs and retries itself.
listen gateway
  bind 127.0.0.1:$LB_PORT
  mode http
  balance roundrobin
  option httpchk GET /health
  http-check expect status 200
  default-server inter 1s fall 2 rise 1
  retries 2
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  acl replay_safe method GET HEAD OPTIONS
  acl replay_safe req.hdr(idempotency-key) -m found
  acl signed req.hdr(x-nonce) -m found
  http-request disable-l7-retry if signed
  http-request disable-l7-retry unless replay_safe
  server gw1 127.0.0.1:${GATEWAY_PORTS[0]} check
  server gw2 127.0.0.1:${GATEWAY_PORTS[1]} check
EOF
}

ensure_haproxy() {
  haproxy_pid >/dev/null && return 0
  mkdir -p "$D/haproxy"
  haproxy_config "$(shards)" >"$D/haproxy/haproxy.cfg"
  haproxy -c -q -f "$D/haproxy/haproxy.cfg" || die "bad HAProxy configuration"
  env "$TAG" haproxy -D -f "$D/haproxy/haproxy.cfg" -p "$D/run/haproxy.pid" \
    >>"$D/log/haproxy.log" 2>&1
  started "HAProxy"
}

# --- gateway and simulators ------------------------------------------------------

build_binaries() {
  [ "${CLUSTER_NO_BUILD:-0}" != 1 ] || return 0
  [ -z "${CLUSTER_BIN_DIR:-}" ] || return 0
  local stale=""
  if [ -x "$BIN_DIR/gateway" ] && [ -x "$BIN_DIR/simulators" ]; then
    stale=$(cd "$ROOT" && find Cargo.toml Cargo.lock gateway adapters ledger migrations \
      -newer "$BIN_DIR/gateway" -type f -print -quit 2>/dev/null)
    stale+=$(cd "$ROOT" && find Cargo.toml Cargo.lock gateway adapters ledger migrations \
      -newer "$BIN_DIR/simulators" -type f -print -quit 2>/dev/null)
    [ -n "$stale" ] || return 0
  fi
  say "building target/release/{gateway,simulators}"
  (cd "$ROOT" && cargo build --release -p gateway -p adapters --bins)
}

load_secrets() {
  if [ ! -s "$D/secrets.env" ]; then
    umask 077
    {
      echo "ADMIN_TOKEN=adm_$(hex 16)"
      echo "VNEID_JWT_KEY=$(hex 32)"
      echo "MERCHANT_SECRETS_KEY=$(hex 32)"
    } >"$D/secrets.env"
    umask 022
  fi
  # shellcheck source=/dev/null
  . "$D/secrets.env"
}

redis_urls() {
  local port urls=()
  for port in "${REDIS_PORTS[@]}"; do urls+=("redis://127.0.0.1:$port"); done
  (IFS=,; echo "${urls[*]}")
}

# Everything the gateway reads (the list bench/src/bin/chaos.rs passes); the provider
# credentials are the simulators' sandbox values. Secrets are the same for both
# gateways and the simulators, generated once per cluster.
app_env() {
  local addr=$1
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$(lb_pg_port 0)/gateway"
  echo "REDIS_URL=${CLUSTER_GATEWAY_REDIS_URL:-$(redis_urls)}"
  # Every gateway sweeps the sharded ledger's open legs and checkpoints its chains,
  # and keeps citizens on their home shards unless CLUSTER_ROUTE_CITIZENS=0.
  echo "SHARD_URLS=$(shard_urls ,)"
  echo "ROUTE_CITIZENS=${CLUSTER_ROUTE_CITIZENS:-1}"
  echo "CATALOG_URL=postgres://postgres@127.0.0.1:$(lb_pg_port 0)/catalog"
  echo "GATEWAY_ADDR=$addr"
  echo "SIMULATOR_ADDR=127.0.0.1:$SIM_PORT"
  echo "GATEWAY_PUBLIC_URL=http://127.0.0.1:$LB_PORT"
  echo "GATEWAY_ADMIN_TOKEN=$ADMIN_TOKEN"
  echo "VNEID_JWT_KEY=$VNEID_JWT_KEY"
  echo "MERCHANT_SECRETS_KEY=$MERCHANT_SECRETS_KEY"
  echo "GATEWAY_QR_BANK_BIN=970436"
  echo "GATEWAY_QR_ACCOUNT=0011001234567"
  echo "VNPAY_TMN_CODE=DEMO0001"
  echo "VNPAY_HASH_SECRET=demo-vnpay-hash-secret"
  echo "MOMO_PARTNER_CODE=MOMO"
  echo "MOMO_ACCESS_KEY=F8BBA842ECF85"
  echo "MOMO_SECRET_KEY=K951B6PE1waDMi640xX08PD3vg6EkVlz"
  echo "ZALOPAY_APP_ID=2553"
  echo "ZALOPAY_KEY1=PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL"
  echo "ZALOPAY_KEY2=kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"
  echo "SESSION_TTL_SECONDS=7200"
  echo "OUTSIDE_TIMEOUT_MS=3000"
  echo "RUST_LOG=${CLUSTER_RUST_LOG:-warn}"
}

simulators_pid() { live_pid "$D/run/simulators.pid" "$BIN_DIR/simulators"; }
gateway_pid() { live_pid "$D/run/gateway$1.pid" "$BIN_DIR/gateway"; }

ensure_simulators() {
  simulators_pid >/dev/null && return 0
  local vars
  mapfile -t vars < <(app_env "127.0.0.1:${GATEWAY_PORTS[0]}")
  spawn "$D/run/simulators.pid" "$D/log/simulators.log" \
    env "${vars[@]}" "$BIN_DIR/simulators" serve --addr "127.0.0.1:$SIM_PORT"
  started "simulators"
}

ensure_gateway() {
  local n=$1 vars
  gateway_pid "$n" >/dev/null && return 0
  mapfile -t vars < <(app_env "127.0.0.1:${GATEWAY_PORTS[n - 1]}")
  spawn "$D/run/gateway$n.pid" "$D/log/gateway$n.log" env "${vars[@]}" "$BIN_DIR/gateway"
  started "gateway $n"
}

gateway_ready() {
  local n=$1
  gateway_pid "$n" >/dev/null || { say "gateway $n exited; last lines of $D/log/gateway$n.log:" >&2; tail -n 20 "$D/log/gateway$n.log" >&2; exit 1; }
  [ "$(http_code "http://127.0.0.1:${GATEWAY_PORTS[n - 1]}/ready")" = 200 ]
}

lb_ready() { [ "$(http_code "http://127.0.0.1:$LB_PORT/ready")" = 200 ]; }

# The gateway's own database and the catalog on shard 0, the sharded ledger's database
# on every shard.
ensure_databases() {
  local i s db dbs
  s=$(shards)
  for ((i = 0; i < s; i++)); do
    dbs=(ledger)
    [ "$i" -ne 0 ] || dbs+=(gateway catalog)
    for db in "${dbs[@]}"; do
      if [ -z "$(psql -h 127.0.0.1 -p "$(lb_pg_port "$i")" -U postgres -d postgres -Atqc \
        "select 1 from pg_database where datname = '$db'")" ]; then
        psql -h 127.0.0.1 -p "$(lb_pg_port "$i")" -U postgres -d postgres -qc "create database $db" >/dev/null
      fi
    done
  done
}

# The sharded ledger's databases, shard 0 first, separated by $1.
shard_urls() {
  local i s urls=()
  s=$(shards)
  for ((i = 0; i < s; i++)); do urls+=("postgres://postgres@127.0.0.1:$(lb_pg_port "$i")/ledger"); done
  (IFS=$1; echo "${urls[*]}")
}

# --- orchestration ---------------------------------------------------------------

# Every one of the $1 shards has a leader with a synchronous standby (waiting up to
# $2 s) and takes a real write.
wait_shards() {
  local s=$1 within=$2 i
  for ((i = 0; i < s; i++)); do
    wait_for "$within" "shard $i leader and sync standby" shard_healthy "$i"
    wait_for 60 "a write through 127.0.0.1:$(lb_pg_port "$i")" shard_writable "$i"
  done
}

start_all() {
  local s i n port
  s=$(shards)
  mkdir -p "$D/run" "$D/log" "$D/pg" "$D/redis"
  ensure_etcd
  # Patroni and Redis start in the background of each other: the waits below then
  # overlap with the slowest (initdb and base backups).
  for port in "${REDIS_PORTS[@]}"; do ensure_redis "$port"; done
  ensure_haproxy
  wait_for 30 "etcd" etcd_ok
  for ((i = 0; i < s; i++)); do
    for n in 0 1; do ensure_patroni "$i" "$n"; done
  done
  form_redis_cluster
  wait_shards "$s" 180
  wait_for 60 "Redis Cluster state ok" redis_cluster_ok
  ensure_databases
  ensure_simulators
  # One after the other: the first migrates the fresh databases while the second
  # would only wait on the migration lock, and a gateway that fails to start is
  # reported on its own.
  for n in 1 2; do
    ensure_gateway "$n"
    wait_for 180 "gateway $n /ready" gateway_ready "$n"
  done
  wait_for 30 "http://127.0.0.1:$LB_PORT/ready" lb_ready
}

write_env() {
  local s
  s=$(shards)
  cat >"$D/cluster.env" <<EOF
CLUSTER_DIR="$D"
CLUSTER_SHARDS="$s"
SHARD_URLS="$(shard_urls " ")"
CATALOG_URL="postgres://postgres@127.0.0.1:$(lb_pg_port 0)/catalog"
DATABASE_URL="postgres://postgres@127.0.0.1:$(lb_pg_port 0)/gateway"
REDIS_URL="$(redis_urls)"
GATEWAY_URL="http://127.0.0.1:$LB_PORT"
SIMULATORS_URL="http://127.0.0.1:$SIM_PORT"
ADMIN_TOKEN="$ADMIN_TOKEN"
VNEID_JWT_KEY="$VNEID_JWT_KEY"
MERCHANT_SECRETS_KEY="$MERCHANT_SECRETS_KEY"
ROUTE_CITIZENS="${CLUSTER_ROUTE_CITIZENS:-1}"
EOF
}

summary() {
  local s i
  s=$(shards)
  say "cluster in $D ($s shards), settings in $D/cluster.env:"
  for ((i = 0; i < s; i++)); do
    say "  shard $i: postgres://postgres@127.0.0.1:$(lb_pg_port "$i")/  leader $(node_name "$i" "$(leader_of "$i" || echo 0)")" \
      "(nodes on $(pg_port "$i" 0)/$(pg_port "$i" 1), Patroni REST $(rest_port "$i" 0)/$(rest_port "$i" 1))"
  done
  say "  redis cluster: 127.0.0.1:${REDIS_PORTS[0]}-${REDIS_PORTS[5]}"
  say "  gateway: http://127.0.0.1:$LB_PORT (-> ${GATEWAY_PORTS[*]}), simulators http://127.0.0.1:$SIM_PORT"
  say "  haproxy stats: http://127.0.0.1:$STATS_PORT/  etcd: http://127.0.0.1:2379"
}

cmd_up() {
  local s=${1:-${CLUSTER_SHARDS:-2}} start=$SECONDS port
  [[ $s =~ ^[1-9]$ ]] || die "shards must be 1 to 9, got $s"
  if [ -f "$D/.gw-cluster" ]; then
    [ "$(shards)" = "$s" ] || die "$D holds a cluster of $(shards) shards; run \`down\` first"
  else
    # Ports held by someone else would make a component fail in a confusing way later.
    local ports=(2379 2380 "${REDIS_PORTS[@]}" "$LB_PORT" "$SIM_PORT" "${GATEWAY_PORTS[@]}" "$STATS_PORT")
    local busy=() p i
    for ((i = 0; i < s; i++)); do
      ports+=("$(lb_pg_port "$i")" "$(pg_port "$i" 0)" "$(pg_port "$i" 1)" "$(rest_port "$i" 0)" "$(rest_port "$i" 1)")
    done
    for p in "${ports[@]}"; do
      if port_busy "$p"; then busy+=("$p"); fi
    done
    [ ${#busy[@]} -eq 0 ] || die "ports already in use: ${busy[*]}"
    install_packages
    mkdir -p "$D"
    touch "$D/.gw-cluster"
    echo "$s" >"$D/shards"
  fi
  # Rebuilding under running gateways would only leave them older than the binary.
  if ! gateway_pid 1 >/dev/null || ! gateway_pid 2 >/dev/null; then build_binaries; fi
  for port in gateway simulators; do [ -x "$BIN_DIR/$port" ] || die "missing $BIN_DIR/$port"; done
  load_secrets
  start_all
  write_env
  if [ "$STARTED" = 0 ]; then
    say "already up"
  else
    say "up in $((SECONDS - start)) s (started $STARTED processes)"
  fi
  summary
}

# The pid in pidfile $1, if that process is still ours.
owned_pidfile() {
  local pid
  pid=$(head -n 1 "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  owned "$pid" || return 1
  echo "$pid"
}

cmd_down() {
  local pid f pids=()
  [ -f "$D/.gw-cluster" ] || { say "nothing to stop in $D"; return 0; }
  # Clients first, so nothing writes during the database shutdown.
  for f in gateway1 gateway2 simulators haproxy; do
    if pid=$(owned_pidfile "$D/run/$f.pid"); then stop_pid "$pid" 10; fi
  done
  # Patroni stops its PostgreSQL on SIGTERM; all nodes at once so no replica waits
  # around to be promoted.
  for f in "$D"/run/shard*.pid; do
    if pid=$(owned_pidfile "$f"); then pids+=("$pid"); fi
  done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do stop_pid "$pid" 30; done
  for f in "$D"/run/redis-*.pid "$D/run/etcd.pid"; do
    if pid=$(owned_pidfile "$f"); then stop_pid "$pid" 10; fi
  done
  # Whatever is left (orphaned postmasters or backends of SIGKILLed nodes, a process
  # whose pidfile was lost), found by owned(), one pid at a time.
  for pid in $(owned_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    [ -n "$(owned_pids)" ] || break
    sleep 0.1
  done
  [ -z "$(owned_pids)" ] || die "processes still running: $(owned_pids | tr '\n' ' ')"
  rm -rf -- "$D"
  say "cluster stopped, $D removed"
}

cmd_status() {
  local s i n port cfg
  [ -f "$D/.gw-cluster" ] || die "no cluster in $D"
  s=$(shards)
  say "== etcd: $(etcd_ok && echo healthy || echo DOWN)"
  for ((i = 0; i < s; i++)); do
    say "== shard $i (gw-shard$i, via 127.0.0.1:$(lb_pg_port "$i")): writable=$(shard_writable "$i" && echo yes || echo NO)"
    cfg=$(node_dir "$i" 0)/patroni.yml
    patronictl -c "$cfg" list 2>/dev/null || say "   patronictl list failed (etcd down?)"
  done
  say "== redis cluster"
  if port=$(redis_any); then
    redis-cli -p "$port" cluster info | grep -E '^cluster_(state|slots_assigned|slots_ok|slots_fail|known_nodes|size|current_epoch):' | tr -d '\r'
    redis-cli -p "$port" cluster nodes | awk '{
      split($2, a, "@"); role = ($3 ~ /master/) ? "master" : "replica";
      flags = $3; gsub(/myself,?/, "", flags); slots = "";
      for (k = 9; k <= NF; k++) slots = slots " " $k;
      printf "  %-16s %-8s %-8s %s%s\n", a[1], role, $8, flags, slots }' | sort
  else
    say "  no Redis node answers"
  fi
  say "== haproxy (proxy server status check)"
  curl -s -m 2 "http://127.0.0.1:$STATS_PORT/;csv" 2>/dev/null |
    awk -F, '$1 !~ /^#/ && $1 != "stats" && $2 != "FRONTEND" && $2 != "BACKEND" { printf "  %-12s %-12s %-8s %s\n", $1, $2, $18, $37 }' ||
    say "  HAProxy does not answer"
  say "== gateways"
  for n in 1 2; do
    say "  gateway $n (127.0.0.1:${GATEWAY_PORTS[n - 1]}, pid $(gateway_pid "$n" || echo none)): $(curl -s -m 3 "http://127.0.0.1:${GATEWAY_PORTS[n - 1]}/ready" || echo unreachable)"
  done
  say "  load balancer 127.0.0.1:$LB_PORT: $(curl -s -m 3 "http://127.0.0.1:$LB_PORT/ready" || echo unreachable)"
  say "  simulators 127.0.0.1:$SIM_PORT: pid $(simulators_pid || echo none)"
}

cmd_kill_primary() {
  local i=${1:-}
  if ! [[ $i =~ ^[0-9]+$ ]] || [ "$i" -ge "$(shards)" ]; then
    die "usage: kill-primary SHARD (0..$(($(shards) - 1)))"
  fi
  local l ppid pmpid children
  l=$(leader_of "$i") || die "shard $i has no leader right now"
  ppid=$(patroni_pid "$i" "$l") || die "no Patroni process for $(node_name "$i" "$l")"
  pmpid=$(postmaster_pid "$i" "$l") || pmpid=""
  children=""
  [ -z "$pmpid" ] || children=$(pgrep -P "$pmpid" || true)
  # Patroni first: it would otherwise notice the dead postmaster within a loop and
  # restart it, which is not what a machine failure looks like. The backends too, as
  # they would be on a dead machine (they would exit on their own within moments).
  kill -KILL "$ppid"
  [ -z "$pmpid" ] || kill -KILL "$pmpid" 2>/dev/null || true
  for pid in $children; do kill -KILL "$pid" 2>/dev/null || true; done
  say "killed $(node_name "$i" "$l") (leader of gw-shard$i): patroni pid $ppid, postmaster pid ${pmpid:-none}," \
    "PostgreSQL 127.0.0.1:$(pg_port "$i" "$l"), REST $(rest_port "$i" "$l")"
}

cmd_kill_redis_master() {
  local port=${1:-} any pid
  any=$(redis_any) || die "no Redis node answers"
  if [ -z "$port" ]; then
    port=$(redis-cli -p "$any" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ && $8 == "connected" { split($2, a, "[:@]"); print a[2] }' | sort -n | head -n 1)
    [ -n "$port" ] || die "no live master"
  fi
  pid=$(redis_pid "$port") || die "no Redis process on port $port"
  kill -KILL "$pid"
  say "killed Redis master 127.0.0.1:$port (pid $pid)"
}

gateway_arg() {
  [[ ${1:-} =~ ^[12]$ ]] || die "gateway must be 1 or 2"
  gateway_pid "$1" || die "gateway $1 is not running"
}

cmd_revive() {
  local s i n port pid start=$SECONDS
  [ -f "$D/.gw-cluster" ] || die "no cluster in $D; use \`up\`"
  s=$(shards)
  ANNOUNCE=1
  load_secrets
  for n in 1 2; do
    if pid=$(gateway_pid "$n") && [ "$(proc_state "$pid")" = T ]; then
      say "resuming gateway $n (pid $pid)"
      kill -CONT "$pid"
    fi
  done
  ensure_etcd
  wait_for 30 "etcd" etcd_ok
  for ((i = 0; i < s; i++)); do
    for n in 0 1; do ensure_patroni "$i" "$n"; done
  done
  for port in "${REDIS_PORTS[@]}"; do ensure_redis "$port"; done
  ensure_haproxy
  ensure_simulators
  wait_shards "$s" 120
  wait_for 60 "Redis Cluster state ok" redis_cluster_ok
  for n in 1 2; do
    ensure_gateway "$n"
    wait_for 120 "gateway $n /ready" gateway_ready "$n"
  done
  say "revived ($STARTED processes started), healthy after $((SECONDS - start)) s"
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    kill-primary) cmd_kill_primary "$@" ;;
    kill-redis-master) cmd_kill_redis_master "$@" ;;
    kill-gateway) pid=$(gateway_arg "${1:-}"); kill -KILL "$pid"; say "killed gateway $1 (pid $pid)" ;;
    pause-gateway) pid=$(gateway_arg "${1:-}"); kill -STOP "$pid"; say "paused gateway $1 (pid $pid)" ;;
    resume-gateway) pid=$(gateway_arg "${1:-}"); kill -CONT "$pid"; say "resumed gateway $1 (pid $pid)" ;;
    revive) cmd_revive ;;
    leader) [ -n "${1:-}" ] || die "leader needs a shard number"; l=$(leader_of "$1") || die "shard $1 has no leader right now"; node_name "$1" "$l"; echo ;;
    *)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      [ -z "$cmd" ] || exit 2
      ;;
  esac
}

main "$@"
