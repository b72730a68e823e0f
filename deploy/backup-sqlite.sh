#!/usr/bin/env bash
# Online backup of the appliance's SQLite store, safe while the collector and the API keep writing.
#
#   backup-sqlite.sh [--data-dir DIR] [--dest DIR] [--keep N]
#
#   --data-dir  where the store is (DIR/appliance.db); default $APPLIANCE_DATA_DIR or /var/lib/appliance
#   --dest      where copies go; default $BACKUP_DIR or DATA_DIR/backups
#   --keep      how many copies to keep, newest first; default $BACKUP_KEEP or 7
#
# The store runs in WAL mode, so copying the file (or only the file) is not a backup. This uses
# SQLite's online backup API (Python's sqlite3.Connection.backup, the same as the sqlite3 shell's
# `.backup`): it copies a consistent snapshot, including what is still in the WAL, while writers go on.
# The copy is written under a temporary name, checked with PRAGMA integrity_check, switched out of
# WAL mode (a single self-contained file), then renamed to appliance-YYYYmmddTHHMMSSZ.db; older
# copies beyond --keep are deleted. Restore: stop the units, copy the file to DATA_DIR/appliance.db
# (remove any appliance.db-wal / -shm left there), `appliance db upgrade`, start the units.
#
# PostgreSQL (APPLIANCE_DATABASE_URL=postgresql://...) is not backed up by this script: use
#   pg_dump --format=custom --file=/var/backups/appliance/appliance-$(date -u +%Y%m%dT%H%M%SZ).dump DBNAME
# and restore with pg_restore --clean --if-exists --dbname=DBNAME FILE (deploy/README.md).
#
# Exit status: 0 a copy was made, 1 the backup failed, 2 usage error.
set -euo pipefail

data_dir="${APPLIANCE_DATA_DIR:-/var/lib/appliance}"
dest="${BACKUP_DIR:-}"
keep="${BACKUP_KEEP:-7}"
python="${PYTHON:-python3}"

usage() {
    echo "usage: $0 [--data-dir DIR] [--dest DIR] [--keep N]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --data-dir) [ $# -ge 2 ] || usage; data_dir="$2"; shift 2 ;;
        --dest) [ $# -ge 2 ] || usage; dest="$2"; shift 2 ;;
        --keep) [ $# -ge 2 ] || usage; keep="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) usage ;;
    esac
done
case "$keep" in ''|*[!0-9]*) echo "--keep must be a number, not '$keep'" >&2; exit 2 ;; esac
[ "$keep" -ge 1 ] || { echo "--keep must be at least 1" >&2; exit 2; }
dest="${dest:-$data_dir/backups}"

case "${APPLIANCE_DATABASE_URL:-}" in
    ""|sqlite*) ;;
    *) echo "APPLIANCE_DATABASE_URL is not SQLite: back up PostgreSQL with pg_dump (see $0 --help)" >&2
       exit 2 ;;
esac

source_db="$data_dir/appliance.db"
if [ ! -f "$source_db" ]; then
    echo "no store at $source_db" >&2
    exit 1
fi
if ! command -v "$python" >/dev/null 2>&1; then
    echo "$python not found (set PYTHON=/opt/appliance/venv/bin/python)" >&2
    exit 1
fi

mkdir -p "$dest"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$dest/appliance-$stamp.db"
n=1
while [ -e "$target" ]; do target="$dest/appliance-$stamp-$n.db"; n=$((n + 1)); done
partial="$target.partial"
trap 'rm -f "$partial" "$partial-journal" "$partial-wal" "$partial-shm"' EXIT

"$python" - "$source_db" "$partial" <<'PY'
import sqlite3
import sys

source_path, target_path = sys.argv[1], sys.argv[2]
# Read-only URI: the backup never writes to the live store; a busy timeout rides out the writers'
# checkpoints. The backup API restarts a step when the source changes underneath, so copy in one step
# (-1 pages): the snapshot is taken inside one read transaction.
source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
source.execute("PRAGMA busy_timeout=30000")
target = sqlite3.connect(target_path)
with target:
    source.backup(target, pages=-1)
source.close()
check = target.execute("PRAGMA integrity_check").fetchall()
if check != [("ok",)]:
    sys.exit(f"integrity check of the copy failed: {check[:5]}")
target.execute("PRAGMA journal_mode=DELETE")      # one self-contained file
target.close()
PY
mv "$partial" "$target"
trap - EXIT
echo "backup: $source_db -> $target ($(du -h "$target" | cut -f1))"

# Rotate: keep the newest $keep copies (by modification time).
mapfile -t copies < <(find "$dest" -maxdepth 1 -type f -name 'appliance-*.db' -printf '%T@\t%f\n' \
                      | sort -rn | cut -f2)
for old in "${copies[@]:$keep}"; do
    rm -f -- "$dest/$old"
    echo "backup: removed old copy $dest/$old"
done
