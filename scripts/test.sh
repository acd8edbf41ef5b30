#!/usr/bin/env bash
# Runs every test: installs what the tests need when missing (Debian chromium for Playwright),
# builds the solution once, runs each test project without rebuilding, and ends with one line
# "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "==> installing Debian chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium"; exit 1; }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "==> building"
dotnet build Butterbase.Portal.sln -v q -nologo || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; status=0
for project in Butterbase.Portal.Tests Butterbase.E2E; do
  echo "==> $project"
  log=$(mktemp)
  dotnet test "$project" --no-build -nologo 2>&1 | tee "$log"
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
  rm -f "$log"
done

echo "$passed passed, $failed failed"
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && status=1
exit $status
