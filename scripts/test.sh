#!/usr/bin/env bash
# Run the whole test suite on SQLite, then again on a throwaway PostgreSQL cluster.
#
#   scripts/test.sh [pytest arguments]
#
# With CI=true: install the Debian packages the suite needs (Chromium, CJK fonts,
# PostgreSQL) if they are missing, and require the PostgreSQL run; no test may skip.
# Without CI: the PostgreSQL run happens when PostgreSQL is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
CI_RUN=false
[[ "${CI:-}" == "true" ]] && CI_RUN=true

if $CI_RUN; then
    missing=()
    for pkg in chromium fonts-noto-cjk postgresql dovecot-imapd redis-server libpango-1.0-0 libpangoft2-1.0-0; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        echo "Installing ${missing[*]} ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi

# Install (editable, with the test tools) unless this checkout is installed
# already and pyproject.toml has not changed since.
STAMP=build/test-install.sha256
WANT=$({ cat pyproject.toml; "$PYTHON" --version; } | sha256sum | cut -d' ' -f1)
INSTALLED_AT=$("$PYTHON" -c 'import manyi, pathlib; print(pathlib.Path(manyi.__file__).resolve().parent)' 2>/dev/null || true)
if [[ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" || "$INSTALLED_AT" != "$PWD/src/manyi" ]]; then
    "$PYTHON" -m pip install -q --root-user-action=ignore -e '.[test]'
    mkdir -p build
    echo "$WANT" >"$STAMP"
fi

RESULTS=$(mktemp -d /tmp/manyi-test.XXXXXX)
# The settings load before any conftest runs: keep the tests out of ~/.manyi.
export MANYI_DATA_DIR="$RESULTS/data"
PG_DIR=""
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
AS_POSTGRES=()
[[ $(id -u) == 0 ]] && AS_POSTGRES=(runuser -u postgres --)

stop_postgres() {
    if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
        "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    [[ -n "$PG_DIR" ]] && rm -rf "$PG_DIR"
    rm -rf "$RESULTS"
}
trap stop_postgres EXIT

start_postgres() {
    PG_DIR=$(mktemp -d /tmp/manyi-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    [[ $(id -u) == 0 ]] && chown postgres: "$PG_DIR"
    local port
    port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${AS_POSTGRES[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log"
    # A cluster for tests only: durability is traded for speed.
    "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    PG_URL="postgres://postgres@127.0.0.1:$port/manyi"
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_DIR)"
}

FAILED=()
run_pytest() {
    local label=$1
    shift
    echo
    echo "=== pytest on $label ==="
    local rc=0
    env "$@" "$PYTHON" -m pytest -p no:cacheprovider --junitxml="$RESULTS/$label.xml" "${PASS_ARGS[@]}" "${PYTEST_ARGS[@]}" || rc=$?
    case $rc in
        0) ;;
        5) echo "pytest on $label collected no tests: that is a failure here"; FAILED+=("$label") ;;
        *) echo "pytest on $label failed (exit status $rc)"; FAILED+=("$label") ;;
    esac
}

PYTEST_ARGS=("$@")
PASS_ARGS=()
run_pytest sqlite -u MANYI_DATABASE_URL

if [[ -n "$PG_BIN" ]] && { [[ $(id -u) != 0 ]] || id postgres >/dev/null 2>&1; }; then
    start_postgres
    # Tests marked own_database run `manyi` on a SQLite file of their own
    # whatever the database: the SQLite pass has run them already.
    PASS_ARGS=(-m "not own_database")
    run_pytest postgresql MANYI_DATABASE_URL="$PG_URL"
elif $CI_RUN; then
    echo "PostgreSQL is not installed: the PostgreSQL run cannot happen"
    FAILED+=(postgresql)
else
    echo "PostgreSQL is not installed here: the PostgreSQL run was left out"
fi

echo
if ((${#FAILED[@]})); then
    echo "FAILED on: ${FAILED[*]}"
fi
shopt -s nullglob
"$PYTHON" - "$RESULTS"/*.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    for suite in ET.parse(path).getroot().iter("testsuite"):
        tests, errors, failures, skips = (int(suite.get(k, 0)) for k in ("tests", "errors", "failures", "skipped"))
        failed += errors + failures
        skipped += skips
        passed += tests - errors - failures - skips
print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
EOF
((${#FAILED[@]} == 0))
