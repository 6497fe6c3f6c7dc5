#!/usr/bin/env bash
# Makes the prompt the GPU check reads: a full-context docintel prompt of a ~128K-token corpus, as JSON blocks
# (instructions, corpus map, corpus | cache breakpoint | passages, question). Run it where docintel is installed;
# the GPU machine needs only the JSON file.
#   bash benchmarks/gpu/make_prompt.sh [CORPUS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS="${1:-../shared/eval/corpora/code-flask}"
OUT="${2:-benchmarks/gpu/prompt.json}"
DOCINTEL="${DOCINTEL:-.venv/bin/docintel}"
"$DOCINTEL" pack "$CORPUS" "Where is the application's configuration loaded, and which defaults apply?" \
  --budget 200000 --mode full --format json > "$OUT"
python3 - "$OUT" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
print(f"{sys.argv[1]}: mode={data['mode']} estimated_tokens={data['estimated_tokens']} blocks={len(data['blocks'])}")
PY
