# Shared by the benchmark scripts: processes started by the script are stopped by pid and its
# scratch dir ($WORK) removed on any exit. Source after setting WORK and LOG_TAG.
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
