#!/usr/bin/env bash
# Build the sdist and wheel, check them with twine, and install the wheel into two clean virtual environments, one
# with numpy 1.26 and one with numpy 2, each then running the command and a short association task (not part of
# `make test`: it downloads and installs packages). Usage: tests/packaging/check_install.sh [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/dist_check}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
rm -rf "$OUT" && mkdir -p "$OUT"
python3 -m venv "$OUT/build_env"
"$OUT/build_env/bin/pip" install -q build twine
"$OUT/build_env/bin/python" -m build --outdir "$OUT/dist" "$ROOT"
"$OUT/build_env/bin/python" -m twine check "$OUT"/dist/*
WHEEL=$(ls "$OUT"/dist/*.whl)
for NUMPY in "numpy==1.26.*" "numpy>=2"; do
  ENV="$OUT/env_$(echo "$NUMPY" | tr -dc '0-9')"
  python3 -m venv "$ENV"
  "$ENV/bin/pip" install -q "torch==$TORCH_VERSION"
  "$ENV/bin/pip" install -q "$NUMPY" "$WHEEL"
  (cd "$OUT" && "$ENV/bin/vaes-biomed" --help > /dev/null)
  (cd "$OUT" && OMP_NUM_THREADS=1 "$ENV/bin/python" - <<'PY'
import numpy as np, pandas as pd
import vaes_biomed, vaes_biomed.api as vb
from vaes_biomed.settings import ModelConfig, TrainingConfig
rng = np.random.default_rng(0)
ids = [f"s{i}" for i in range(120)]
a = rng.normal(size=(120, 3))
data = vb.MultiOmicsData.from_frames({"a": pd.DataFrame(a, index=ids), "b": pd.DataFrame(a[:, :2] + rng.normal(size=(120, 2)), index=ids)})
res = vb.find_associations(data, target="a", value="plus_std", n_refits=2, model=ModelConfig(num_hidden=[8], num_latent=2),
                           training=TrainingConfig(num_epochs=3, kld_warmup_steps=[], batch_dilation_steps=[]))
assert len(res.associations) == 3 * 5 - 3
print(f"vaes_biomed {vaes_biomed.__version__} with numpy {np.__version__}, pandas {pd.__version__}: installed and ran")
PY
  )
done
