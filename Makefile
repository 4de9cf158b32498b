# make demo   install Manyi and run it with demo data on http://127.0.0.1:8000
# make test   install the test tools and run the test suite (SQLite, then PostgreSQL)
# Extra arguments: make demo ARGS="--port 8001", make test ARGS="-k cli -x"

PYTHON ?= python3

.PHONY: demo test install

install:
	$(PYTHON) -m pip install -q --disable-pip-version-check --root-user-action=ignore -e .

demo: install
	$(PYTHON) -m manyi demo $(ARGS)

test:
	PYTHON=$(PYTHON) bash scripts/test.sh $(ARGS)
