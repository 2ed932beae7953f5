#!/usr/bin/env bash
# A cached Airflow 2.11 virtualenv, only to check that Sluice's generated DAG
# files import on Airflow 2.x (src/orchestrators/airflow/dag-files.airflow2.test.ts
# parses them with a DagBag; no Airflow service runs). Reused when it already
# has the right version, so a second run takes a second. Prints the venv's
# python for the tests (AIRFLOW2_PYTHON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=2.11.0
VENV=${SLUICE_AIRFLOW2_VENV:-/var/cache/sluice/airflow2-venv-$VERSION}
CONSTRAINTS="$PWD/constraints-$VERSION-py3.11.txt"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import airflow, sys; sys.exit(0 if airflow.__version__ == '$VERSION' else 1)" 2>/dev/null; then
  echo "   reusing $VENV (Airflow $VERSION)" >&2
else
  echo "   installing apache-airflow==$VERSION into $VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "apache-airflow==$VERSION" -c "$CONSTRAINTS" >&2
fi
echo "$VENV/bin/python"
