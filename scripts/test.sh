#!/usr/bin/env bash
# Runs every test: installs what the tests need when missing (Debian chromium for Playwright),
# builds the solution once, runs each test project without rebuilding (the .NET tests once on SQLite and once on
# PostgreSQL, which scripts/postgres.sh installs and starts), then the TypeScript SDK's
# tests (sdk/js: npm ci, tsc, node --test against the built portal), and ends with one line
# "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "==> installing Debian chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium"; exit 1; }
fi

# npm: the build installs Deno (the functions runtime) from the npm registry; the SDK's tests need node too.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "==> installing Debian nodejs and npm (Deno for functions is installed with npm; the SDK tests run on node)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || echo "could not install nodejs"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "==> building"
dotnet build Butterbase.Portal.sln -v q -nologo || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; status=0
failures=$(mktemp) # each failed test's name and error message, repeated at the end (a CI log is often read from its tail)

# The layout .editorconfig describes (whitespace, indentation, line breaks): one check, counted like a test.
echo "==> dotnet format whitespace --verify-no-changes"
if dotnet format whitespace Butterbase.Portal.sln --verify-no-changes -v q; then passed=$((passed + 1))
else failed=$((failed + 1)); status=1; echo "format: run 'dotnet format whitespace Butterbase.Portal.sln' and commit" >>"$failures"; fi
# run_tests LABEL PROJECT [FILTER]: one test project without rebuilding; its counts go into the totals.
run_tests() {
  echo "==> $1"
  local log code summary f p
  log=$(mktemp)
  dotnet test "$2" --no-build -nologo ${3:+--filter "$3"} 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  summary=$(grep -oE "Failed: +[0-9]+, Passed: +[0-9]+" "$log" | tail -n 1)
  if [ -n "$summary" ]; then
    f=$(sed -E 's/Failed: +([0-9]+), Passed: +([0-9]+)/\1/' <<<"$summary")
    p=$(sed -E 's/Failed: +([0-9]+), Passed: +([0-9]+)/\2/' <<<"$summary")
    passed=$((passed + p)); failed=$((failed + f))
  elif [ "$code" -ne 0 ]; then
    failed=$((failed + 1)) # the run died before it could report: count it as a failure
  fi
  [ "$code" -ne 0 ] && status=1
  awk -v pass="$1" '/^  Failed [A-Za-z]/ { print pass ":" substr($0, 2); keep = 1; n = 0; next }
    /^  Stack Trace:/ { keep = 0 } keep && n++ < 12' "$log" >>"$failures"
  rm -f "$log"
}

run_tests "Butterbase.Portal.Tests on SQLite" Butterbase.Portal.Tests "Database!=Postgres" # tests of PostgreSQL itself run in its pass

run_tests "Butterbase.E2E (Playwright, Debian chromium)" Butterbase.E2E

# The same API, data-layer, refresh and multi-instance tests again on PostgreSQL (installed from Debian's packages
# when missing; a throw-away cluster under /tmp). Each portal the tests start gets its own database.
echo "==> PostgreSQL for the database tests"
if pg=$(bash scripts/postgres.sh); then
  export BUTTERBASE_TEST_POSTGRES="$pg"
  # Not again, because they touch no database or only the same insert-and-read every pass covers: the bUnit page
  # tests (their own SQLite context), the catalog's data checks, the provider fakes' own tests, the pure
  # request-building and id tests, the function isolation tests (worker processes), and the tests of what goes over
  # the wire to a provider or an agent (curated tools against their stand-ins, the proxy's validation and relay, MCP's
  # protocol, header injection, malformed parameters, authorize URLs, redirect-URL and outbound-address rules), the docs
  # checks and the telemetry export (no database in either), and the SQLite durability setting of the log's writer. The
  # store, refresh, revocation, webhook, schedule and multi-instance tests run again.
  not_again=(Components. Catalog.CatalogDataTests Fakes. Execution.ToolRequestTests Data.IdsTests
    Functions.FunctionIsolationTests Execution.Curated Execution.ProxyTests Mcp.McpTests Execution.HeaderInjectionTests
    Execution.MalformedParamsTests Connections.AuthorizeParamsTests Apps.RedirectUrlsTests Outbound.OutboundPolicyTests
    Outbound.SsrfTests Catalog.MetaSchemaAgreementTests Docs. Telemetry. Execution.ExecutionLogWriterTests)
  pg_filter=$(printf '&FullyQualifiedName!~Butterbase.Portal.Tests.%s' "${not_again[@]}")
  run_tests "Butterbase.Portal.Tests on PostgreSQL" Butterbase.Portal.Tests "${pg_filter:1}"
  # The browser flows that write through the data layer in ways the API tests do not (connect through the hosted
  # pages and the callback, members and roles across apps) once more on PostgreSQL. The others (sign-up, catalog,
  # webhooks, the accessibility walk) render the same markup from the same queries the PostgreSQL pass covered.
  run_tests "Butterbase.E2E on PostgreSQL (Playwright)" Butterbase.E2E \
    "FullyQualifiedName~Butterbase.E2E.ConnectFlowTests|FullyQualifiedName~Butterbase.E2E.TenantIsolationFlowTests"
  unset BUTTERBASE_TEST_POSTGRES
else
  echo "could not start PostgreSQL"; failed=$((failed + 1)); status=1
fi

# The TypeScript SDK (sdk/js): its tests start the portal built above as a real process.
echo "==> sdk/js (@butterbase/sdk)"
log=$(mktemp)
(
  set -e
  cd sdk/js
  node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("node >= 20 is needed, found " + process.version); process.exit(1) }'
  npm ci --no-audit --no-fund --loglevel=error
  npm run build --silent
  node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=tap test/*.test.mjs
) 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
p=$(grep -oE '^# pass [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
f=$(grep -oE '^# fail [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
c=$(grep -oE '^# cancelled [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
if [ -n "$p" ] && [ -n "$f" ]; then
  passed=$((passed + p)); failed=$((failed + f + ${c:-0}))
  [ "$code" -ne 0 ] && [ "$((f + ${c:-0}))" -eq 0 ] && failed=$((failed + 1)) # non-zero exit with no failed test: count it
elif [ "$code" -ne 0 ] || [ -z "$p" ]; then
  failed=$((failed + 1)) # install, build or the runner died before it could report: count it as a failure
fi
[ "$code" -ne 0 ] && status=1
grep -E '^not ok ' "$log" | sed 's/^/sdk\/js: /' >>"$failures"
rm -f "$log"

if [ -s "$failures" ]; then echo "==> failed tests"; head -n 150 "$failures"; fi
rm -f "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && status=1
exit $status
