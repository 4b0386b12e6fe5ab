# The entry points of the README. Each sets up .venv first (idempotent, seconds once it exists).
PY := .venv/bin/python
# Extra arguments of `make reproduce`, e.g. ARGS="--seeds 0 1 2" or ARGS="--only sdn bat".
ARGS ?=

.PHONY: setup data reproduce demo test
setup:
	bash tools/setup_env.sh

# The main job: every method's toy experiment next to its baseline (CPU), table + figure in work_dirs/reproduce_mini.
# Real data of the benchmarks (Fashion-MNIST: offline from the Debian package when there is no internet; cached).
data: setup
	$(PY) tools/dataset_converters/fashion_mnist.py --out data/fashion_mnist

reproduce: setup data
	$(PY) tools/reproduce.py --suite mini $(ARGS)

demo: setup
	$(PY) tools/demo.py

# Two pytest-xdist workers (tests/conftest.py gives each its share of the cores); idle workers take queued tests
# from busy ones (worksteal), as a few tests take minutes. TESTS narrows the run, e.g. TESTS=tests/test_seg.
TESTS ?= tests
TEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest $(TESTS) -n $(TEST_WORKERS) --dist worksteal --durations=10
