# The two commands of the README:  `make demo`  and  `make test`.
# Both create (once) and reuse a local virtual environment in .venv built from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# the docs extra as well (`make docs`, `make test`)
DOCS_STAMP := $(VENV)/.docs-installed

# `make test` runs the suite twice: with the compiled core, then with the numpy code alone
# (THETAHAT_COMPILED=0). In CI (CI set) the compiled run requires the core, so that a
# broken build cannot silently test the numpy code twice; elsewhere a machine without a C
# compiler still runs `make test` (the compiled run then uses the numpy code as well).
ifdef CI
COMPILED := require
else
COMPILED := 1
endif

# `make test-oldest`: the suite on the oldest numpy and scipy that pyproject.toml allows,
# in a second environment. The test tools are pinned to versions that support that numpy:
# iminuit 2.33 calls np.array(..., copy=None), which numpy < 2 rejects; 2.32.0 does not.
OLD_VENV  := .venv-oldest
OLD_PY    := $(OLD_VENV)/bin/python
OLD_STAMP := $(OLD_VENV)/.installed
OLDEST    := numpy==1.23.5 scipy==1.9.3 iminuit==2.32.0

.PHONY: demo lint test test-all test-oldest test-packaging bench clean docs

$(STAMP): pyproject.toml setup.py $(wildcard src/thetahat/_compiled/*.c src/thetahat/_compiled/*.h)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m compileall -q src/thetahat
	touch $(STAMP)

$(OLD_STAMP): pyproject.toml setup.py src/thetahat/_compiled/_lmcore.c Makefile
	$(PYTHON) -m venv $(OLD_VENV)
	echo '*' > $(OLD_VENV)/.gitignore
	$(OLD_PY) -m pip install --quiet --upgrade pip
	printf '%s\n' $(OLDEST) > $(OLD_VENV)/constraints.txt
	$(OLD_PY) -m pip install --quiet -c $(OLD_VENV)/constraints.txt -e '.[test]'
	touch $(OLD_STAMP)

demo: $(STAMP)
	$(PY) -m thetahat demo

# `make lint`: ruff (rules in pyproject.toml) on the code, the tests and the benchmarks, and
# mypy on the package. `make test` runs it first.
lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy

# The docs extra is installed too, so that the suite builds the site (offline, -W, the
# notebooks not executed: tests/test_docs_build.py); the build does not depend on the
# compiled core, so the second run leaves it out.
test: $(DOCS_STAMP) lint
	@echo "== THETAHAT_COMPILED=$(COMPILED): compiled core"
	THETAHAT_COMPILED=$(COMPILED) $(PY) -m pytest -q
	@echo "== THETAHAT_COMPILED=0: numpy code only"
	THETAHAT_COMPILED=0 $(PY) -m pytest -q \
		--deselect tests/test_docs_build.py::test_docs_build_offline_without_execution

test-all: $(STAMP)
	THETAHAT_COMPILED=$(COMPILED) $(PY) -m pytest -q -m ''

# `make test-packaging`: the slow packaging tests, not in `make test`: the sdist carries what
# the tests need and they pass from it; the wheel installs in a clean venv without a
# compiler and runs the demo; the docs build with every tutorial executed.
test-packaging: $(DOCS_STAMP)
	$(PY) -m pytest -q -m slow tests/test_packaging.py tests/test_docs_build.py

test-oldest: $(OLD_STAMP)
	$(OLD_PY) -c 'import numpy, scipy; print("== numpy", numpy.__version__, "scipy", scipy.__version__)'
	@echo "== THETAHAT_COMPILED=$(COMPILED): compiled core"
	THETAHAT_COMPILED=$(COMPILED) $(OLD_PY) -m pytest -q
	@echo "== THETAHAT_COMPILED=0: numpy code only"
	THETAHAT_COMPILED=0 $(OLD_PY) -m pytest -q

# compileall first: a wheel install writes the bytecode (pip does), an editable install
# under PYTHONDONTWRITEBYTECODE=1 never does, and the import rows would time the compiler
bench: $(STAMP)
	$(PY) -m compileall -q src/thetahat
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(OLD_VENV) build src/*.egg-info .pytest_cache docs/_build docs/api/generated docs/jupyter_execute

# `make docs`: the Sphinx site into docs/_build/html, warnings as errors, the tutorials
# executed (offline: intersphinx reads only docs/_intersphinx/, see docs/conf.py).
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	rm -rf docs/api/generated  # autosummary never deletes the stub of a name that left
	$(PY) -m sphinx -W --keep-going -b html -d docs/_build/doctrees docs docs/_build/html
