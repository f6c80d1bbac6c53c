# Two commands: `make demo` and `make test`. Both build .venv from requirements.lock first.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN    ?= run

.PHONY: demo test test-slow bench sysdeps clean

# System packages: headless OpenGL for the cameras (moderngl over EGL, Mesa llvmpipe), and
# Debian's Chromium for the web viewer's browser tests (Playwright drives it; no browser
# download). Installed with apt-get only when missing, so a machine that has them needs no root.
SYSDEPS := libegl1 libegl-mesa0 libgl1-mesa-dri chromium
sysdeps:
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

# The last step flies the nominal once to compile the flight kernel (≈ 70 s of one core): numba caches
# it beside the sources (src/edlcam/flight/kernel/__pycache__), so the first `edlcam simulate` (and
# `make demo`) of a fresh clone loads it instead of compiling it inside the demo. An edit of the
# kernel's sources later recompiles it at its next use (edlcam.flight.kernel.cache).
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -c "from edlcam.flight.sequencer import fly; from edlcam.mission import load_mission; fly(load_mission(), record=True)"
	touch $(STAMP)

# run/ is the demo's own folder: a second `make demo` replaces it (--overwrite); each stage builds its new
# output beside the old one and swaps it in only when complete, so an interrupted demo leaves the last one whole.
demo: sysdeps $(STAMP)
	$(VENV)/bin/edlcam demo --out $(RUN) --overwrite

test: sysdeps $(STAMP)
	$(PY) -m pytest -m "not slow" -q

test-slow: sysdeps $(STAMP)
	$(PY) -m pytest -q

bench: sysdeps $(STAMP)
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(RUN) .pytest_cache
