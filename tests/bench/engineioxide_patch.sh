#!/usr/bin/env bash
# Our upstream-style patches to engineioxide (tests/bench/patches/engineioxide-<version>-NNNN-*.patch,
# `git format-patch` mails, applied in order) on a fresh copy of the published crate; never
# vendored, never in the product's build. They exist to measure what the changes would give and to
# be sent upstream. Measured experiments that are not proposed (patches/experiments/, each on top
# of the numbered ones) are applied only when named: PATCH_EXPERIMENTS="heartbeat-spread".
#
#   tests/bench/engineioxide_patch.sh test    # the crate's own tests (all features) and clippy, patched
#   tests/bench/engineioxide_patch.sh build   # the bench binaries against the patched crate;
#                                             # prints the directory of the binaries on stdout
#   PATCH_UPTO=2 tests/bench/engineioxide_patch.sh build   # only the first two numbered patches
#                                             # (what each patch of the series gives), own dirs
#
# The copy lives in $CARGO_TARGET_DIR/engineioxide-patched[-uptoN]/src, the build in
# $CARGO_TARGET_DIR/engineioxide-patched[-uptoN] (a target dir of its own, so the normal bench build is
# untouched). The bench crate's Cargo.lock is restored afterwards (cargo rewrites a patched entry).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
MODE=${1:-}
case $MODE in test | build) ;; *) echo "usage: $0 test|build" >&2; exit 2 ;; esac
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_INCREMENTAL=0
BENCH=tests/bench/rust
log() { printf '[engineioxide-patch] %s\n' "$*" >&2; }

# The version the bench build resolves today, and the patch written against it.
VERSION=$(awk '/^name = "engineioxide"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$BENCH/Cargo.lock")
PATCHES=(tests/bench/patches/engineioxide-"$VERSION"-*.patch)
[ -e "${PATCHES[0]}" ] || { log "no patch for engineioxide $VERSION in tests/bench/patches"; exit 1; }
SUFFIX=
if [ -n "${PATCH_UPTO:-}" ]; then
    [[ $PATCH_UPTO =~ ^[1-9][0-9]*$ ]] && [ "$PATCH_UPTO" -le ${#PATCHES[@]} ] ||
        { log "PATCH_UPTO must be 1..${#PATCHES[@]} (the numbered patches), not '$PATCH_UPTO'"; exit 2; }
    PATCHES=("${PATCHES[@]:0:PATCH_UPTO}")
    SUFFIX=-upto$PATCH_UPTO
fi
for name in ${PATCH_EXPERIMENTS:-}; do
    PATCHES+=("tests/bench/patches/experiments/engineioxide-$VERSION-$name.patch")
done

cargo fetch -q --locked --manifest-path "$BENCH/Cargo.toml"
PUBLISHED=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "engineioxide-$VERSION" | head -1)
[ -n "$PUBLISHED" ] || { log "engineioxide $VERSION is not in the cargo registry cache"; exit 1; }

OUTDIR=$CARGO_TARGET_DIR/engineioxide-patched$SUFFIX
COPY=$OUTDIR/src
rm -rf "$COPY"
mkdir -p "$OUTDIR"
cp -r "$PUBLISHED" "$COPY"
for p in "${PATCHES[@]}"; do
    log "applying $p to engineioxide $VERSION"
    patch -s -p1 -d "$COPY" <"$ROOT/$p"
done
# A workspace of its own: the copy sits under the repo's target dir, inside our workspace's folder.
printf '\n[workspace]\n' >>"$COPY/Cargo.toml"

if [ "$MODE" = test ]; then
    # The crate is not in a lock of ours with its dev-dependencies; start from the bench lock so the
    # shared dependencies keep the versions we ship with.
    cp "$BENCH/Cargo.lock" "$COPY/Cargo.lock"
    (cd "$COPY" && CARGO_TARGET_DIR=$OUTDIR/test-target cargo test -q --all-features)
    (cd "$COPY" && CARGO_TARGET_DIR=$OUTDIR/test-target cargo clippy -q --all-features --all-targets -- -D warnings)
    log "engineioxide $VERSION with ${#PATCHES[@]} patch(es): tests and clippy passed"
    exit 0
fi

cp "$BENCH/Cargo.lock" "$OUTDIR/Cargo.lock.saved"
restore() { cp "$OUTDIR/Cargo.lock.saved" "$ROOT/$BENCH/Cargo.lock"; }
trap restore EXIT
CARGO_TARGET_DIR=$OUTDIR timeout 1500 cargo build -q --release --manifest-path "$BENCH/Cargo.toml" \
    --config "patch.crates-io.engineioxide.path=\"$COPY\""
echo "$OUTDIR/release"
