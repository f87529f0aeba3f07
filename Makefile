# carta: build, test, bench, install. `make test` is what CI runs; see README.md.
CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := gsl libcjson openblas lapacke xgboost zlib
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings \
           -Wcast-qual -Wformat=2 -Wundef -Wvla -Wdouble-promotion -Wfloat-conversion -Wswitch-enum
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) -ffp-contract=off -fno-common -MMD -MP
# Debian packages carta needs to build and test (see `make deps`).
# python3-jsonschema checks the configs against their schema; python3-nbformat and the notebook
# stack (nbconvert, ipykernel, pandas, matplotlib) validate and execute the exported notebooks.
DEB_PKGS := build-essential pkg-config libgsl-dev libopenblas-dev liblapacke-dev libxgboost-dev \
            libcjson-dev libreadstat-dev libcriterion-dev zlib1g-dev python3 python3-jsonschema \
            python3-nbformat jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib

READSTAT_VERSION := $(shell dpkg-query -W -f='$${Version}' libreadstat1 2>/dev/null || echo unknown)
# carta's own data tables (CRS mapping, lab units) are found here unless $$CARTA_DATADIR says otherwise.
DATADIR ?= $(CURDIR)/data-schemas
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L -DCARTA_READSTAT_VERSION='"$(READSTAT_VERSION)"' \
            -DCARTA_DATADIR='"$(DATADIR)"' \
            $(filter-out -I/usr/include/x86_64-linux-gnu,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
# GSL's .pc adds its reference CBLAS; carta takes CBLAS from OpenBLAS, so it is left out.
LDLIBS   += $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) -lreadstat -lpthread -lm

ifeq ($(WERROR),1)
  CFLAGS += -Werror
endif
# BUILD=dir gives a private build folder (for parallel work in one tree); -san is added under SANITIZE=1.
BUILD ?= build/rel
ifeq ($(SANITIZE),1)
  CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
  B := $(patsubst %/rel,%/san,$(BUILD))$(if $(filter %/rel,$(BUILD)),,-san)
else
  B := $(BUILD)
endif

LIBSRC  := $(sort $(wildcard src/*/*.c))
LIBOBJ  := $(LIBSRC:src/%.c=$(B)/%.o)
TESTSRC := $(sort $(wildcard tests/unit/*.c)) tests/lib/check.c
TESTOBJ := $(TESTSRC:tests/%.c=$(B)/tests/%.o)
BENCHSRC := $(sort $(wildcard tests/bench/*.c))
BENCHES := $(BENCHSRC:tests/bench/%.c=$(B)/bench/%)

all: deps-check $(B)/carta

$(B)/libcarta.a: $(LIBOBJ)
	$(AR) rcs $@ $^
$(B)/carta: $(B)/main.o $(B)/libcarta.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
# The Cox fit's passes over the design are written for the vectoriser (explicit partial-sum
# lanes, so no reassociation is needed and the results do not change); GCC's -O2 cost model
# ("very cheap") leaves them scalar, at about a third more time per pass.
$(B)/fit/cox_sums.o: CFLAGS += -fvect-cost-model=dynamic
$(B)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) -c -o $@ $<
$(B)/unit-tests: $(TESTOBJ) $(B)/libcarta.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion
$(B)/bench/%: tests/bench/%.c $(B)/libcarta.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The unit suite runs from the repository root; tests find ../shared/data through CARTA_SHARED.
# Criterion reports a test as passed even when LeakSanitizer finds a leak in its process, so
# the log is searched for sanitizer reports too.
SHELL := /bin/bash
unit: deps-check $(B)/unit-tests $(B)/carta
	@set -o pipefail; CARTA_BIN=$(B)/carta $(B)/unit-tests --jobs 2 2>&1 | tee $(B)/unit.log
	@if grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' $(B)/unit.log; then \
	  echo "unit: sanitizer reports above (leaks or undefined behaviour): failing"; exit 1; fi
e2e: deps-check $(B)/carta
	CARTA_BIN=$(B)/carta tests/e2e/run.sh

# What CI runs: the plain build and the sanitizer build, unit and end-to-end, and the layering rule.
test: deps-check
	$(MAKE) unit e2e verify-models
	$(MAKE) SANITIZE=1 unit e2e verify-models
	tests/layering.sh
check: test

# The README's first command: the synthetic cohort and the example experiment on it.
demo: all
	$(B)/carta simulate -q --force data/synth
	$(B)/carta run --force configs/crs_severe.json
	@echo "demo: the model card is models/crs_severe/card.html (and card.md, card.json)"

# The reference runs in models/ (one per example config whose data is here). `make test`
# re-verifies them, so a change that moves a published number fails until they are refreshed on
# purpose with `make refresh-models`.
REFERENCE_RUNS := crs_severe os_by_product crs_onset_competing cdisc_pilot_tte cdisc_pilot_gbm
verify-models: $(B)/carta
	$(B)/carta simulate -q --force data/synth
	@for m in $(REFERENCE_RUNS); do \
	  case $$m in cdisc_*) [ -d ../shared/data ] || { echo "verify-models: SKIP $$m (../shared/data absent)"; continue; } ;; esac; \
	  echo "carta verify models/$$m/card.json"; $(B)/carta verify -q models/$$m/card.json || exit 1; \
	done
refresh-models: all
	$(B)/carta simulate -q --force data/synth
	@for m in $(REFERENCE_RUNS); do $(B)/carta run -q --force configs/$$m.json || exit 1; \
	  $(B)/carta export-notebook --force models/$$m || exit 1; done

# A picture of the severe-CRS card for README (needs Debian's chromium; not part of make test).
screenshot:
	tools/card_screenshot.sh models/crs_severe/card.html docs/card.png

bench: all $(BENCHES)
	tests/bench/run.sh $(B)

# Regenerates the reference values from R (and other peers); needs r-base-core, r-cran-survival,
# r-cran-cmprsk, r-cran-jsonlite, r-cran-glmnet, r-cran-metafor, r-cran-riskregression, r-cran-pec,
# r-cran-proc, r-cran-rms, r-cran-brglm2, r-cran-foreign. Never run
# by `make test`.
references:
	@for s in tests/reference/*/make_*.R; do echo "Rscript $$s"; (cd $$(dirname $$s) && Rscript $$(basename $$s)) || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/carta
	install -m 755 $(B)/carta $(DESTDIR)$(PREFIX)/bin/carta
	install -m 644 $(B)/libcarta.a $(DESTDIR)$(PREFIX)/lib/libcarta.a
	install -m 644 include/carta/*.h $(DESTDIR)$(PREFIX)/include/carta/
	install -d $(DESTDIR)$(PREFIX)/share/carta/data-schemas
	install -m 644 data-schemas/* $(DESTDIR)$(PREFIX)/share/carta/data-schemas/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/^#define CARTA_VERSION "\(.*\)"/\1/p' include/carta/carta.h)|' \
	    carta.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/carta.pc

# Installs the Debian packages that are missing; does nothing when all are present.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (or install:$$missing)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
# Cheap check run before every build: one dpkg query; `make deps` only when a package is absent.
deps-check:
	@[ "$$(dpkg-query -W -f='$${Status}\n' $(DEB_PKGS) 2>/dev/null | grep -c 'install ok installed')" = "$(words $(DEB_PKGS))" ] || \
	  $(MAKE) --no-print-directory deps

clean:
	rm -rf build

.PHONY: demo screenshot verify-models refresh-models all unit e2e test check bench references install deps deps-check clean
-include $(LIBOBJ:.o=.d) $(TESTOBJ:.o=.d) $(B)/main.d
