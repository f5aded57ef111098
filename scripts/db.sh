#!/usr/bin/env bash
# Find (or start) a PostgreSQL server for development and tests.
#
#   scripts/db.sh url DBNAME   print ONE libpq URL (stdout) of a reachable server
#                              where DBNAME exists and the role may CREATE DATABASE
#   scripts/db.sh stop         stop the private cluster in ./.data/pg (no-op if not running)
#
# Resolution order for `url`:
#   1. $DB_URL_OVERRIDE, printed as is (the Makefile passes DATABASE_URL / TEST_DATABASE_URL).
#   2. A local server on port 5432 (TCP 127.0.0.1, then the socket in /var/run/postgresql)
#      accepting the current OS user, or `postgres`, without a password.
#   3. A private cluster in ./.data/pg (port 54329, 127.0.0.1 only, auth trust, superuser
#      `postgres`), created with initdb and started with pg_ctl as needed. As root the
#      server runs as the unprivileged system user `crmpg` (created if missing).
#   4. Otherwise: one line on stderr saying what is missing, exit 1.
#
# Knobs (mostly for testing this script): DB_SKIP_LOCAL=1 skips step 2;
# DB_LOCAL_HOSTS (default "127.0.0.1 /var/run/postgresql") are the hosts tried in step 2;
# DB_PG_BIN_GLOB (default /usr/lib/postgresql/*/bin) is where initdb/pg_ctl are looked
# for after $PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRIV_PORT=54329
PRIV_USER=postgres   # superuser role of the private cluster
RUN_AS=crmpg         # OS user running the private cluster when we are root
BIN_GLOB="${DB_PG_BIN_GLOB-/usr/lib/postgresql/*/bin}"

log() { printf 'db.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
    echo "usage: scripts/db.sh url DBNAME | scripts/db.sh stop" >&2
    exit 2
}

# Never let the caller's PG* environment redirect our probes.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGPASSWORD PGPASSFILE || true
export PGCONNECT_TIMEOUT=3

# q SQL-quotes an identifier.
qident() { printf '"%s"' "${1//\"/\"\"}"; }
qlit() { printf "'%s'" "${1//\'/\'\'}"; }

# ---------------------------------------------------------------- step 2

# try_local HOST USER: succeeds if USER can log in without a password and create databases.
try_local() {
    local out
    out="$(psql -X -At -w -h "$1" -p 5432 -U "$2" -d postgres \
        -c 'select rolsuper or rolcreatedb from pg_roles where rolname = current_user' 2>/dev/null)" || return 1
    [[ "$out" == t ]]
}

# ---------------------------------------------------------------- step 3

PGHOME="$ROOT/.data"   # may be resolved to another directory, see priv_prepare_home

# pg_bin_dirs prints candidate directories holding both initdb and pg_ctl: $PATH first,
# then $BIN_GLOB, newest version first.
pg_bin_dirs() {
    local d p
    if p="$(command -v initdb 2>/dev/null)"; then
        d="$(dirname "$(readlink -f "$p")")"
        if [[ -x "$d/pg_ctl" ]]; then
            echo "$d"
        fi
    fi
    if [[ -n "$BIN_GLOB" ]]; then
        # shellcheck disable=SC2086
        for d in $BIN_GLOB; do
            if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
                echo "$d"
            fi
        done | sort -V -r
    fi
    return 0
}

# first_bin_dir prints the preferred directory of pg_bin_dirs (empty if none).
first_bin_dir() {
    local l
    l="$(pg_bin_dirs)"
    printf '%s' "${l%%$'\n'*}"
}

# pg_bin_major DIR prints the major version of the binaries in DIR.
pg_bin_major() {
    local v
    v="$("$1/pg_ctl" --version 2>/dev/null || true)"
    v="${v#*) }"
    printf '%s' "${v%%[!0-9]*}"
}

# find_pg_bin sets BIN to a directory with initdb and pg_ctl matching an existing cluster.
find_pg_bin() {
    local want="" d
    BIN=""
    [[ -f "$PGHOME/pg/PG_VERSION" ]] && want="$(cat "$PGHOME/pg/PG_VERSION")"
    while read -r d; do
        [[ -n "$d" ]] || continue
        if [[ -z "$want" || "$(pg_bin_major "$d")" == "$want" ]]; then
            BIN="$d"
            return 0
        fi
    done < <(pg_bin_dirs | awk '!seen[$0]++')
    [[ -n "$want" ]] && {
        log "the cluster in $PGHOME/pg was created by PostgreSQL $want, whose initdb/pg_ctl were not found (remove $ROOT/.data to recreate it)"
        return 1
    }
    return 1
}

# as_pg runs a PostgreSQL program as the cluster owner. fd 9 (our lock) is closed so
# that the postmaster does not inherit it.
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        (cd "$PGHOME" && exec runuser -u "$RUN_AS" -- "$@") 9>&-
    else
        (cd "$PGHOME" && exec "$@") 9>&-
    fi
}

# priv_prepare_home creates the .data directory, and as root makes it usable by $RUN_AS.
priv_prepare_home() {
    if [[ -L "$ROOT/.data" ]]; then
        PGHOME="$(readlink -f "$ROOT/.data")"
    fi
    mkdir -p "$PGHOME"
    [[ "$(id -u)" == 0 ]] || return 0

    if ! id -u "$RUN_AS" >/dev/null 2>&1; then
        command -v useradd >/dev/null || die "initdb refuses to run as root and useradd is missing to create user $RUN_AS: run as a normal user or set DATABASE_URL"
        log "creating system user $RUN_AS to run the private PostgreSQL cluster"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS" >&2
    fi
    command -v runuser >/dev/null || die "runuser (util-linux) is missing: cannot run initdb as $RUN_AS"

    # $RUN_AS must be able to reach $PGHOME (e.g. not the case for a clone under /root):
    # then keep the cluster in /var/tmp and make .data a symlink to it.
    chown "$RUN_AS:" "$PGHOME"
    if ! runuser -u "$RUN_AS" -- test -w "$PGHOME" -a -x "$PGHOME"; then
        [[ -L "$ROOT/.data" ]] && die "user $RUN_AS cannot access $PGHOME"
        local alt
        alt="/var/tmp/crm-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
        log "user $RUN_AS cannot reach $ROOT; keeping the cluster in $alt (symlinked from .data)"
        mkdir -p "$alt"
        chown "$RUN_AS:" "$alt"
        chmod 700 "$alt"
        if [[ -n "$(ls -A "$PGHOME")" ]]; then
            cp -a "$PGHOME/." "$alt/"
        fi
        rm -rf "$PGHOME"
        ln -s "$alt" "$ROOT/.data"
        PGHOME="$alt"
    fi
}

priv_psql() { psql -X -At -w -h 127.0.0.1 -p "$PRIV_PORT" -U "$PRIV_USER" "$@"; }

priv_running() { [[ -f "$PGHOME/pg/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" -D "$PGHOME/pg" status >/dev/null 2>&1; }

priv_start() {
    local pgdata="$PGHOME/pg" sock="$PGHOME/pg-sock" logf="$PGHOME/pg.log"
    find_pg_bin || return 1

    if [[ ! -f "$pgdata/PG_VERSION" ]]; then
        log "initialising a private PostgreSQL $(pg_bin_major "$BIN") cluster in $pgdata"
        rm -rf "$pgdata"
        mkdir -p "$pgdata"
        [[ "$(id -u)" == 0 ]] && chown "$RUN_AS:" "$pgdata"
        chmod 700 "$pgdata"
        local loc ok=""
        for loc in C.UTF-8 C; do
            if as_pg "$BIN/initdb" -D "$pgdata" -U "$PRIV_USER" -A trust -E UTF8 --locale="$loc" \
                >"$PGHOME/initdb.log" 2>&1; then
                ok=1
                break
            fi
            find "$pgdata" -mindepth 1 -delete 2>/dev/null || true
        done
        if [[ -z "$ok" ]]; then
            tail -n 5 "$PGHOME/initdb.log" >&2 || true
            die "initdb failed (see $PGHOME/initdb.log)"
        fi
        # Unix socket paths are limited to ~107 bytes; do without the socket if too long.
        local sockdirs="$sock"
        (( ${#sock} + 16 > 100 )) && sockdirs=""
        cat >>"$pgdata/postgresql.conf" <<EOF

# --- added by scripts/db.sh: private throw-away cluster for development/tests
listen_addresses = '127.0.0.1'
port = $PRIV_PORT
unix_socket_directories = '$sockdirs'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi

    if priv_running; then
        return 0
    fi
    mkdir -p "$sock"
    if [[ "$(id -u)" == 0 ]]; then
        chown "$RUN_AS:" "$PGHOME"
        chown -R "$RUN_AS:" "$pgdata" "$sock"
        if [[ -e "$logf" ]]; then chown "$RUN_AS:" "$logf"; fi
    fi
    log "starting the private PostgreSQL cluster on 127.0.0.1:$PRIV_PORT (log: $logf)"
    if ! as_pg "$BIN/pg_ctl" -D "$pgdata" -l "$logf" -w -t 60 start >/dev/null 2>&1; then
        tail -n 5 "$logf" >&2 || true
        die "could not start the private PostgreSQL cluster in $pgdata (see $logf; is port $PRIV_PORT in use?)"
    fi
}

# ---------------------------------------------------------------- common

# ensure_db PSQLFN DBNAME: create DBNAME if it does not exist.
ensure_db() {
    local fn="$1" db="$2" have
    have="$("$fn" -d postgres -c "select 1 from pg_database where datname = $(qlit "$db")")" ||
        die "cannot query the server for database $db"
    [[ "$have" == 1 ]] && return 0
    log "creating database $db"
    if ! "$fn" -d postgres -q -c "create database $(qident "$db")" >/dev/null 2>"$TMPERR"; then
        # lost a race with a concurrent creator?
        have="$("$fn" -d postgres -c "select 1 from pg_database where datname = $(qlit "$db")")" || true
        [[ "$have" == 1 ]] || { cat "$TMPERR" >&2; die "could not create database $db"; }
    fi
}

urlenc() {
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
        [A-Za-z0-9._~-]) out+="$c" ;;
        *) out+="$(printf '%%%02X' "'$c")" ;;
        esac
    done
    printf '%s' "$out"
}

cmd_url() {
    local db="$1"
    [[ -n "$db" ]] || usage

    # 1. explicit URL
    if [[ -n "${DB_URL_OVERRIDE:-}" ]]; then
        printf '%s\n' "$DB_URL_OVERRIDE"
        return 0
    fi

    TMPERR="$(mktemp)"
    trap 'rm -f "$TMPERR"' EXIT

    local have_psql=""
    command -v psql >/dev/null 2>&1 && have_psql=1

    # 2. local server on 5432 with password-less access
    local me host user
    me="$(id -un)"
    if [[ -z "${DB_SKIP_LOCAL:-}" && -n "$have_psql" ]]; then
        for host in ${DB_LOCAL_HOSTS:-127.0.0.1 /var/run/postgresql}; do
            [[ "$host" == /* && ! -S "$host/.s.PGSQL.5432" ]] && continue
            for user in "$me" postgres; do
                if try_local "$host" "$user"; then
                    LOCAL_HOST="$host" LOCAL_USER="$user"
                    local_psql() { psql -X -At -w -h "$LOCAL_HOST" -p 5432 -U "$LOCAL_USER" "$@"; }
                    ensure_db local_psql "$db"
                    if [[ "$host" == /* ]]; then
                        printf 'postgres:///%s?host=%s&user=%s\n' "$(urlenc "$db")" "$host" "$(urlenc "$user")"
                    else
                        printf 'postgres://%s@%s:5432/%s?sslmode=disable\n' "$(urlenc "$user")" "$host" "$(urlenc "$db")"
                    fi
                    return 0
                fi
                [[ "$user" == "$me" && "$me" == postgres ]] && break
            done
        done
    fi

    # 3. private cluster
    local why_local="no PostgreSQL accepting $me or postgres without password on port 5432 of ${DB_LOCAL_HOSTS:-127.0.0.1 /var/run/postgresql}"
    [[ -z "$have_psql" ]] && why_local="psql not found"
    [[ -n "${DB_SKIP_LOCAL:-}" ]] && why_local="local server skipped (DB_SKIP_LOCAL)"
    if [[ -z "$have_psql" ]]; then
        # The server package ships psql in its bin dir; use it if present.
        local d
        d="$(first_bin_dir)"
        if [[ -n "$d" && -x "$d/psql" ]]; then
            PATH="$d:$PATH"
            have_psql=1
        else
            die "psql not found and no initdb/pg_ctl found: install PostgreSQL (apt-get install postgresql) or set DATABASE_URL"
        fi
    fi
    if [[ -z "$(first_bin_dir)" ]]; then
        die "$why_local, and no initdb/pg_ctl found in PATH or ${BIN_GLOB:-(DB_PG_BIN_GLOB empty)}: install PostgreSQL's server package (apt-get install postgresql) or set DATABASE_URL"
    fi

    priv_prepare_home
    exec 9>"$PGHOME/pg.lock"
    if command -v flock >/dev/null; then
        flock -w 120 9 || die "timed out waiting for the lock $PGHOME/pg.lock"
    fi
    priv_start || die "$why_local, and no initdb/pg_ctl matching the existing cluster in $PGHOME/pg"
    priv_psql -d postgres -c 'select 1' >/dev/null 2>"$TMPERR" || {
        cat "$TMPERR" >&2
        die "the private cluster on 127.0.0.1:$PRIV_PORT is running but refuses connections as $PRIV_USER"
    }
    ensure_db priv_psql "$db"
    printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable\n' "$PRIV_USER" "$PRIV_PORT" "$(urlenc "$db")"
}

cmd_stop() {
    [[ -L "$ROOT/.data" ]] && PGHOME="$(readlink -f "$ROOT/.data")"
    [[ -f "$PGHOME/pg/postmaster.pid" ]] || return 0
    if find_pg_bin; then
        if priv_running; then
            log "stopping the private PostgreSQL cluster"
            as_pg "$BIN/pg_ctl" -D "$PGHOME/pg" -m fast -w stop >/dev/null
        fi
        return 0
    fi
    # No matching pg_ctl: signal the postmaster directly.
    local pid
    pid="$(head -1 "$PGHOME/pg/postmaster.pid")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        log "stopping the private PostgreSQL cluster (pid $pid)"
        kill -INT "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
        die "postmaster $pid did not stop"
    fi
}

case "${1:-}" in
url)
    [[ $# -eq 2 ]] || usage
    cmd_url "$2"
    ;;
stop)
    [[ $# -eq 1 ]] || usage
    cmd_stop
    ;;
*) usage ;;
esac
