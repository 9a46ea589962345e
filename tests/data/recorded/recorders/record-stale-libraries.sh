# Run by record-hosts-and-config.sh inside `unshare --pid --fork --mount-proc`: WORK OUTDIR
set -eu
work=$1 out=$2
dash "$work/stale.sh" > "$out/stale-libraries-none.txt"
mkdir "$work/libs"
cp /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 "$work/libs/"
python3 - "$work/libs" <<'PY' &
import ctypes, sys, time
ctypes.CDLL(None).prctl(15, b"stale worker", 0, 0, 0)   # PR_SET_NAME: a name with a space
ctypes.CDLL(sys.argv[1] + "/libcrypto.so.3")
ctypes.CDLL(sys.argv[1] + "/libssl.so.3")
open(sys.argv[1] + "/loaded1", "w").close()
time.sleep(60)
PY
python3 - "$work/libs" <<'PY' &
import ctypes, sys, time
ctypes.CDLL(sys.argv[1] + "/libcrypto.so.3")
open(sys.argv[1] + "/loaded2", "w").close()
time.sleep(60)
PY
while [ ! -e "$work/libs/loaded1" ] || [ ! -e "$work/libs/loaded2" ]; do sleep 0.1; done
# replaced as dpkg replaces a file: the new copy is renamed over the old one
for lib in libcrypto.so.3 libssl.so.3; do
    cp "$work/libs/$lib" "$work/libs/$lib.dpkg-new" && mv "$work/libs/$lib.dpkg-new" "$work/libs/$lib"
done
dash "$work/stale.sh" > "$out/stale-libraries-debian12.txt"
# leaving the namespace's PID 1 ends the two workers
