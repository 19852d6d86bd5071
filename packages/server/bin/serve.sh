#!/bin/sh
# Starts the API, as `npm start` and the image do, with Node's memory settings (decisions 0008, 0010, 0011, 0012):
# a 256 MiB old generation, one V8 helper thread, baseline-compiled WebAssembly, and glibc returning large buffers.
# The young generation depends on the engine. The embedded PGlite lives in this process's memory, which is the
# binding limit: 4 MiB semi-spaces. With PostgreSQL (DATABASE_URL set) the process holds no database, and 16 MiB
# semi-spaces halve the time spent collecting garbage under load.
# Extra Node flags go in NODE_OPTIONS (e.g. --enable-source-maps) or, for those Node refuses there (--cpu-prof),
# as this script's arguments: sh serve.sh --cpu-prof --cpu-prof-dir=/tmp/prof
if [ -n "${DATABASE_URL:-}" ]; then semi=16; else semi=4; fi
MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_MMAP_THRESHOLD_
exec node --max-old-space-size=256 --max-semi-space-size="$semi" --v8-pool-size=1 --liftoff-only "$@" \
  "$(dirname "$0")/../dist/bundle/main.js"
