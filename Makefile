# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap uv and the
# locked environment first.
# uv from PATH, else the copy `pip install uv` puts beside python3.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN = $(UV) run --frozen

.PHONY: env demo test lint typecheck pytest bench clean

env:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --all-extras --quiet

# Offline on a fresh machine (no credentials: RuleEnhancer + PreviewGenerator); with
# GOOGLE_API_KEY or Vertex AI settings in the environment it renders with Google instead.
demo: env
	$(RUN) promptforge generate "fluffy corgi wearing a tiny crown, sitting on a velvet cushion" --judge --rounds 3 --out out/
	$(RUN) promptforge edit "$$(ls -d out/2*/ | sort | tail -1)" "make the crown smaller" --out out/

lint: env
	$(RUN) ruff check src tests examples benchmarks
	$(RUN) ruff format --check src tests examples benchmarks

typecheck: env
	$(RUN) mypy --strict src

pytest: env
	$(RUN) coverage run -m pytest
	$(RUN) coverage report

test: lint typecheck pytest

bench: env
	$(RUN) python benchmarks/run.py

clean:
	rm -rf .venv .coverage .mypy_cache .ruff_cache .pytest_cache out
