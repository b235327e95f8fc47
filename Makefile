# keizoku — build, test, run, install.  See README.md.
#
#   make            build build/keizokud, build/keizoku, build/plugins/*.so
#   make deps       install missing Debian packages (idempotent)
#   make run        deps + build, then keizokud on config/keizokud.yaml
#   make test       deps + build + every unit and integration test
#   make test-ha    the loss of a site: etcd, Patroni, PostgreSQL, keizokud x2
#   make bench      every benchmark, table in tests/bench/RESULTS.md
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   SANITIZE=1      ASan + UBSan build (in build-san/)
#   MALLOC=libc     keizokud on glibc's malloc instead of mimalloc

VERSION		:= 0.1.0
PREFIX		?= /usr/local
DESTDIR		?=
SANITIZE	?=
ifeq ($(SANITIZE),1)
BUILD		?= build-san
else
BUILD		?= build
endif

CC		?= cc
PKGS		:= libevent libevent_openssl libcurl sqlite3 yaml-0.1 jansson libcrypto libssl \
		   libxml-2.0 libical libpq
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CLI_PKGS	:= libcurl jansson
CLI_LIBS	:= $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null)

WARN		:= -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
		   -Wmissing-prototypes -Wno-unused-parameter -Wwrite-strings
CFLAGS		?= -O2 -g
ALL_CFLAGS	:= -std=c11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 $(WARN) $(CFLAGS) \
		   -fPIC -Idaemon -Iplugins $(PKG_CFLAGS) \
		   -DKZ_VERSION='"$(VERSION)"' -DKZ_PREFIX='"$(PREFIX)"'
LDLIBS		:= $(PKG_LIBS) -lm -ldl
# keizokud allocates on mimalloc (Debian's libmimalloc): 14% fewer
# instructions per activation than on glibc's malloc, in jansson, SQLite
# and libcurl alike (tests/bench/RESULTS.md). ASan brings its own.
MALLOC		?= mimalloc
ifeq ($(SANITIZE),1)
override MALLOC	:= libc
endif
ifeq ($(MALLOC),mimalloc)
KZD_LIBS	:= -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state
else ifneq ($(MALLOC),libc)
$(error MALLOC is mimalloc or libc, not "$(MALLOC)")
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined -U_FORTIFY_SOURCE -O1
LDFLAGS		+= -fsanitize=address,undefined
endif

# The layers of daemon/, lowest first (docs/architecture.md; make layers
# checks that includes only point down). The client links only the first
# two: common and proto.
LAYERS		:= common proto model engine store core cmd front
COMMON_SRCS	:= $(wildcard daemon/common/*.c daemon/proto/*.c)
COMMON_OBJS	:= $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIB_SRCS	:= $(filter-out daemon/main.c,$(wildcard daemon/*.c \
		   $(LAYERS:%=daemon/%/*.c)))
LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/%.o)
HDRS		:= $(wildcard daemon/*/*.h plugins/*.h client/*.h)
CLI_SRCS	:= $(wildcard client/*.c)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(BUILD)/%.o)
CLI_LIB_OBJS	:= $(filter-out $(BUILD)/client/keizoku.o,$(CLI_OBJS))
PLUGIN_SRCS	:= $(wildcard plugins/*.c)
PLUGINS		:= $(PLUGIN_SRCS:plugins/%.c=$(BUILD)/plugins/%.so)
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS	:= $(wildcard tests/bench/*.c)
BENCH_BINS	:= $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
# The hostile clients the integration tests and benchmarks drive.
TOOL_SRCS	:= $(wildcard tests/tools/*.c)
TOOL_BINS	:= $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

# Fuzzing: libFuzzer targets built with clang (build-fuzz/); their corpora
# replay under gcc in `make test` (build/fuzz-replay/).
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_JOBS	?= 1
FUZZ_BUILD	:= build-fuzz
FUZZ_CFLAGS	:= -std=c11 -D_GNU_SOURCE $(filter-out -Werror,$(WARN)) \
		   -Wno-format-nonliteral -O1 -g -fno-omit-frame-pointer \
		   -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -Idaemon -Iplugins $(PKG_CFLAGS) \
		   -DKZ_VERSION='"$(VERSION)"' -DKZ_PREFIX='"$(PREFIX)"'
FUZZ_NAMES	:= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS	:= $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/%)
REPLAY_BINS	:= $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)

.PHONY: all deps run test test-ha unit integration bench fuzz install clean check-config \
	layers

all: $(BUILD)/keizokud $(BUILD)/keizoku $(PLUGINS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libkz.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/keizokud: $(BUILD)/daemon/main.o $(BUILD)/libkz.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(KZD_LIBS) $(LDLIBS)

# The same daemon on libc's malloc, for memcheck (test_valgrind), which
# cannot take over mimalloc's.
$(BUILD)/keizokud-libc: $(BUILD)/daemon/main.o $(BUILD)/libkz.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS)

$(BUILD)/libkzcommon.a: $(COMMON_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/keizoku: $(CLI_OBJS) $(BUILD)/libkzcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) -lm

# The client without its main(), for the command-table test.
$(BUILD)/libkzcli.a: $(CLI_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The loader refuses plugins in group- or world-writable places.
$(BUILD)/plugins/%.so: plugins/%.c plugins/keizoku-plugin.h
	@mkdir -p $(dir $@)
	@chmod go-w $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS) -o $@ $< $(shell pkg-config --libs jansson)
	@chmod 0755 $@

$(BUILD)/fixtures/plugins/%.so: tests/fixtures/plugins/%.c plugins/keizoku-plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS) -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Checks the daemon's handlers and the client's printers against one list.
$(BUILD)/tests/test_cmdtab: tests/unit/test_cmdtab.c $(BUILD)/libkzcli.a \
	    $(BUILD)/libkz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iclient $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libkz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FUZZ_BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libkz.a: $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libkz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libkz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make fuzz [FUZZ_SECONDS=300] [FUZZ_JOBS=2] [FUZZ=matcher]
fuzz: deps $(FUZZ_BINS)
	@FUZZ_BIN=$(abspath $(FUZZ_BUILD)/fuzz) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	    FUZZ_JOBS=$(FUZZ_JOBS) sh tests/fuzz/run.sh $(FUZZ)

deps:
	@sh tests/deps.sh

# The shipped config reads its webhook secrets from the environment;
# make run supplies demo values unless you set your own.
DEMO_ENV	= KEIZOKU_AM_TOKEN=$${KEIZOKU_AM_TOKEN:-demo-am-token} \
		  KEIZOKU_GRAFANA_SECRET=$${KEIZOKU_GRAFANA_SECRET:-demo-grafana-secret} \
		  KEIZOKU_QUAKE_SECRET=$${KEIZOKU_QUAKE_SECRET:-whsec_ZGVtby1xdWFrZS1zZWNyZXQ=} \
		  KEIZOKU_WEB_SECRET=$${KEIZOKU_WEB_SECRET:-demo-web-secret-not-for-production}

run: deps all
	@mkdir -p var
	$(DEMO_ENV) $(BUILD)/keizokud -c config/keizokud.yaml

unit: all $(UNIT_BINS) $(BUILD)/fixtures/plugins/badabi.so $(BUILD)/fault/ioshim.so \
	    $(REPLAY_BINS) $(TOOL_BINS)

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libcurl)

# The I/O fault shim test_fault_ioerr.sh preloads into keizokud. Never
# built with the sanitizers: it is loaded ahead of their runtime.
$(BUILD)/fault/ioshim.so: tests/fault/ioshim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

# Dependencies between the layers point only downward (a grep of includes).
layers:
	@sh tests/layers.sh $(LAYERS)

# The build before the tests uses every core (BUILD_JOBS=1 for a serial one).
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) layers all unit \
	    $(BUILD)/keizokud-libc
	@KZ_BUILD=$(abspath $(BUILD)) SANITIZE=$(SANITIZE) bash tests/run.sh

# The loss of a whole site (docs/ha.md): three etcd members, two
# PostgreSQL nodes under Patroni, two keizokud, all on loopback ports.
test-ha: deps all
	@KZ_BUILD=$(abspath $(BUILD)) bash tests/ha/run.sh

check-config: all
	$(DEMO_ENV) $(BUILD)/keizokud -t -c config/keizokud.yaml

bench: deps all $(BENCH_BINS) $(TOOL_BINS)
	@KZ_BUILD=$(abspath $(BUILD)) sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/lib/keizoku/plugins \
	    $(DESTDIR)$(PREFIX)/include/keizoku \
	    $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/keizoku/runbooks/scenarios \
	    $(DESTDIR)$(PREFIX)/share/keizoku/examples \
	    $(DESTDIR)$(PREFIX)/share/doc/keizoku \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 0755 $(BUILD)/keizokud $(DESTDIR)$(PREFIX)/sbin/keizokud
	install -m 0755 $(BUILD)/keizoku $(DESTDIR)$(PREFIX)/bin/keizoku
	install -m 0755 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/keizoku/plugins/
	install -m 0644 plugins/keizoku-plugin.h $(DESTDIR)$(PREFIX)/include/keizoku/
	install -m 0644 docs/keizoku.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/keizoku-runbook.5 docs/keizoku-roster.5 \
	    docs/keizoku-scenario.5 docs/keizokud.yaml.5 \
	    $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 docs/keizokud.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/api.md docs/plan-format.md docs/architecture.md \
	    docs/security.md $(DESTDIR)$(PREFIX)/share/doc/keizoku/
	install -m 0644 runbooks/*.yaml $(DESTDIR)$(PREFIX)/share/keizoku/runbooks/
	install -m 0644 runbooks/scenarios/*.yaml \
	    $(DESTDIR)$(PREFIX)/share/keizoku/runbooks/scenarios/
	install -m 0644 config/roster.yaml config/plan.yaml examples/*.json \
	    $(DESTDIR)$(PREFIX)/share/keizoku/examples/
	# The example configuration with the paths of the installed layout:
	# it passes keizokud -t as installed (test_install.sh checks).
	sed -e 's|^state_dir: \.\./var |state_dir: /var/lib/keizoku |' \
	    -e 's|^runbooks: \.\./runbooks |runbooks: $(PREFIX)/share/keizoku/runbooks |' \
	    -e 's|^plugins: \.\./build/plugins|plugins: $(PREFIX)/lib/keizoku/plugins|' \
	    -e 's|^  socket: \.\./var/keizoku\.sock|  socket: /run/keizoku/keizoku.sock|' \
	    config/keizokud.yaml > $(DESTDIR)$(PREFIX)/share/keizoku/examples/keizokud.yaml
	chmod 0644 $(DESTDIR)$(PREFIX)/share/keizoku/examples/keizokud.yaml
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/keizokud.service > \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/keizokud.service
	install -m 0644 systemd/keizoku.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/keizoku.conf
	install -m 0644 systemd/keizoku.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/keizoku.conf

clean:
	rm -rf build build-san build-fuzz
