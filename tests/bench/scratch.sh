# Shared by the benchmark scripts that build scratch crates (codegen.sh, first_build.sh).
# take_scratch SCRIPT TOOL...: fails when a tool is missing; then holds $SCRATCH for this run
# alone (one run at a time: the folder and its target artifacts are shared), empties it and
# truncates $RAW. Fd 9 keeps the lock until the script exits.
take_scratch() {
    local script=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$script needs $tool" >&2; exit 1; }
    done
    mkdir -p "$SCRATCH"
    exec 9>"$SCRATCH.lock"
    flock -n 9 || { echo "another $script is running (lock $SCRATCH.lock)" >&2; exit 1; }
    find "$SCRATCH" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    : >"$RAW"
}
