# minibox: one container, built one namespace at a time.
# `make help` lists the targets. Every chapter builds from its own .c files
# alone; nothing is shared between chapters at build time.

CC      ?= cc
CFLAGS  ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror
# A lab is a work in progress: warnings stay warnings there.
LAB_CFLAGS ?= -std=gnu11 -O0 -g -Wall -Wextra
SAN_CFLAGS ?= -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	      -fsanitize=address,undefined -fno-sanitize-recover=all

CHAPTERS := $(patsubst chapters/%/minibox.c,%,$(sort $(wildcard chapters/[0-9][0-9]-*/minibox.c)))
PROGRAMS := $(patsubst %.c,%,$(sort $(wildcard chapters/[0-9][0-9]-*/*.c)))
SAN_PROGRAMS := $(patsubst chapters/%,build/sanitize/%,$(PROGRAMS))
DOTS     := $(wildcard diagrams/*.dot)
# CH=03 picks a chapter by its number; CHAPTER is its directory name.
CHAPTER   = $(firstword $(filter $(CH)-%,$(CHAPTERS)))

.PHONY: all ladder rootfs image probes test test-twice test-vm test-arm64 cross demo diagrams lab hint hint-routes handout progress lint sanitize bench stress mutate diff clean clean-lab help

all: $(PROGRAMS) build/nsrel

# A program is rebuilt when its .c file or a header beside it changes
# (from chapter 10 on, both programs include layers.h).
# The libraries a program links with are the ones its own first lines name
# ("cc ... minibox.c -larchive ..." from chapter 12 on): each chapter
# still builds alone, as its README says.
# Where libarchive's static library is installed (Debian's and Ubuntu's
# libarchive-dev ship it), it is linked statically: only its tar reader
# and gzip filter come in, and not the libraries libarchive.so loads at
# every start of minibox (libxml2, ICU, ...), image or not (BENCH.md).
ARCHIVE_LIBS := $(if $(filter /%,$(shell $(CC) -print-file-name=libarchive.a)),-l:libarchive.a -lz,-larchive)
libs_of = $(patsubst -larchive,$(ARCHIVE_LIBS),$(shell sed -n '1,/\*\//s/^ \*   cc .* $(notdir $(1))\( -l.*\)$$/\1/p' $(1)))
.SECONDEXPANSION:
chapters/%: chapters/%.c $$(wildcard $$(dir chapters/%)*.h)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS) $(call libs_of,$<)

lab/%: lab/%.c $$(wildcard $$(dir lab/%)*.h)
	$(CC) $(LAB_CFLAGS) -o $@ $< $(LDLIBS) $(call libs_of,$<)

build/sanitize/%: chapters/%.c $$(wildcard $$(dir chapters/%)*.h)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $< $(LDLIBS) $(call libs_of,$<)

# The course's own OCI image (chapter 12): build/image/, a layout folder,
# and build/image.tar, the same as an archive, made offline from rootfs/.
image: build/image.tar
build/image.tar: scripts/mkimage.sh rootfs/bin/busybox
	scripts/mkimage.sh build/image

# Small static programs the tests run inside the rootfs (it has no ipcs).
PROBES := tests/probes/ipcprobe tests/probes/escprobe tests/probes/ptydrive
probes: $(PROBES)
tests/probes/%: tests/probes/%.c
	$(CC) -static -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# scripts/nsgraph's helper: the ioctl_ns(2) calls a shell script cannot make.
build/nsrel: scripts/nsrel.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# The chapters' programs are written from one source, ladder/ (see
# scripts/ladder.sh): edit there, then make ladder. The suite fails while a
# chapter's file is not what ladder/ writes.
ladder:
	scripts/ladder.sh

# The root filesystem: rebuilt only when missing or older than its script.
rootfs: rootfs/bin/busybox
rootfs/bin/busybox: scripts/mkrootfs.sh
	scripts/mkrootfs.sh

# Everything: each chapter's binary against its own and all earlier chapters'
# tests, then mutation, README transcripts, diagrams and shellcheck.
# CH=03: chapter 03's binary against tests 00..03. CH=03 MINIBOX=path grades another
# program, a lab say, with scripts/grade.sh (as make progress does): rebuilt first.
test:
	CH=$(CH) MINIBOX=$(MINIBOX) scripts/test.sh

# Two suites at once, from two fresh clones of HEAD: both must pass.
test-twice:
	scripts/test-twice.sh

# cgroup v2 for real, from a host that is not pure v2: the cgroup chapters'
# tests (MB_VM_LADDER=full: the whole ladder) in a qemu VM. test-arm64: every
# chapter cross-built for arm64, smoke-tested in a qemu arm64 VM.
test-vm:
	scripts/test-vm.sh v2

test-arm64:
	scripts/test-vm.sh arm64

# make cross ARCH=arm64: every chapter's programs and the test probes, static,
# with Debian's cross compiler (gcc-aarch64-linux-gnu), in build/arm64/.
ARCH     ?= arm64
CROSS_CC ?= $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu-gcc,$(ARCH)-linux-gnu-gcc)
# Not chapter 12 and later: they link libarchive and jansson,
# which a static cross build would need as the target's -dev packages.
CROSS_PROGRAMS := $(patsubst chapters/%,build/$(ARCH)/%,$(filter-out $(foreach n,12 13 14 15 16 17 18 19,chapters/$(n)-%),$(PROGRAMS))) \
	$(patsubst tests/%,build/$(ARCH)/%,$(PROBES))
# arm64 runs 32-bit ARM code too: chapter 10's filter must kill its calls
ifeq ($(ARCH),arm64)
CROSS_PROGRAMS += build/arm64/probes/arm32getpid
endif
cross: $(CROSS_PROGRAMS)
# (the linker warns that getpwuid() in a static program wants the host's
# libraries at run time: minibox only uses it for ordinary users' names)
build/$(ARCH)/%: chapters/%.c $$(wildcard $$(dir chapters/%)*.h)
	@mkdir -p $(dir $@)
	@rm -f $@; $(CROSS_CC) -static $(CFLAGS) -o $@ $< $(LDLIBS) 2>&1 | { grep -v -e getpwuid -e 'in function' >&2 || true; }; test -x $@
build/arm64/probes/arm32getpid: tests/probes/arm32getpid.S
	@mkdir -p $(dir $@)
	arm-linux-gnueabihf-as -o $@.o $< && arm-linux-gnueabihf-ld -static -o $@ $@.o && rm -f $@.o
build/$(ARCH)/probes/%: tests/probes/%.c
	@mkdir -p $(dir $@)
	$(CROSS_CC) -static -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

demo:
	CH=$(CH) scripts/demo.sh $(if $(PAUSE),--pause)

diagrams:
	scripts/diagrams.sh

# make lab CH=03: lab/03-mount/minibox.c with the LAB 03 code taken out.
# make lab CH=03 PART=2: lab/03-mount-part2/, only the LAB 03 code that the
# README's "Part 2" quotes taken out: a chapter handed out part by part.
# It refuses to write over a lab that has been edited (scripts/mklab.sh).
lab:
	@test -n "$(CHAPTER)" || { echo "make lab: say which chapter, e.g. make lab CH=03" >&2; exit 2; }
	@MB_PART=$(PART) scripts/mklab.sh $(CH)
	$(MAKE) --no-print-directory $(patsubst chapters/$(CHAPTER)/%.c,lab/$(CHAPTER)$(if $(PART),-part$(PART))/%,$(wildcard chapters/$(CHAPTER)/*.c))

# make hint CH=03 [PART=P]: the next hint for the first failing test of
# lab/03-mount/ (scripts/grade.sh --hint; as root when the tests must run).
hint:
	@test -n "$(CHAPTER)" || { echo "make hint: say which chapter, e.g. make hint CH=03" >&2; exit 2; }
	@scripts/grade.sh --hint $(CH) lab/$(CHAPTER)$(if $(PART),-part$(PART))/minibox

# make hint-routes [CH=03]: each region of a filled-in handout emptied in
# turn, and ./grade --hint must name it (scripts/hint-routes.sh; default
# labs 03 05 08 10; some minutes a lab, the tests run for each region). Root.
hint-routes: all rootfs probes
	scripts/hint-routes.sh $(CH)

# make handout CH=03: build/handout/minibox-lab-03-mount/ and its .tar.gz, for
# a teacher to give out: the stripped program, the README without the
# solution, the tests, and ./grade.
handout:
	@test -n "$(CHAPTER)" || { echo "make handout: say which chapter, e.g. make handout CH=03" >&2; exit 2; }
	scripts/mkhandout.sh $(CH)

# Every lab in lab/ against its chapter's tests and the earlier chapters';
# the grade sheets go to lab/grades.xml (JUnit) and lab/grades.tap.
progress:
	scripts/progress.sh

mutate: all rootfs probes
	scripts/mutate.sh

lint:
	scripts/install-deps.sh --lint
	scripts/lint-scripts.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem $(addsuffix .c,$(PROGRAMS)) scripts/nsrel.c
	@for c in $(addsuffix .c,$(PROGRAMS)) scripts/nsrel.c; do \
		echo "clang $$c"; clang -std=gnu11 -Wall -Wextra -Werror -fsyntax-only $$c || exit 1; done

# The suite again, on binaries built with AddressSanitizer and UBSan.
sanitize: $(SAN_PROGRAMS)
	@# LeakSanitizer checks at exit with a ptrace()ing helper thread, which
	@# cannot follow minibox-exec into a container's namespaces (it spins):
	@# AddressSanitizer and UBSan only.
	ASAN_OPTIONS=detect_leaks=0 BINDIR=build/sanitize scripts/test.sh

# The stopwatch and the smallest launcher that make bench compares with.
BENCH_TOOLS := bench/timeit bench/launcher bench/attach
bench/%: bench/%.c
	$(CC) $(CFLAGS) -o $@ $<

# Every chapter next to unshare, bwrap, crun and the launcher: README-ready tables.
bench: all rootfs image $(BENCH_TOOLS)
	scripts/bench.sh $(if $(QUICK),--quick)

# 1000 runs one after another, 50 at once, and kill -9 at random moments:
# afterwards nothing may remain. Not part of make test: it takes minutes.
stress: all rootfs
	scripts/stress.sh

# make diff CH=03: what chapter 03 adds to chapter 02, the way a reader meets it:
# each program, and a file the chapter adds (08's minibox-exec.c, 10's layers.h) whole.
diff:
	@test -n "$(CHAPTER)" || { echo "make diff: say which chapter, e.g. make diff CH=03" >&2; exit 2; }
	@prev=$$(printf '%s\n' $(CHAPTERS) | grep -B1 -x '$(CHAPTER)' | head -n 1); \
	for f in $$(ls chapters/$$prev chapters/$(CHAPTER) | grep -E '\.[ch]$$' | sort -u); do \
		a=chapters/$$prev/$$f; b=chapters/$(CHAPTER)/$$f; \
		[ -e $$a ] || a=/dev/null; [ -e $$b ] || b=/dev/null; \
		git diff --no-index -- $$a $$b || true; done

# lab/ holds students' work: clean leaves it (and says so); clean-lab removes it.
clean:
	rm -f $(PROGRAMS) $(PROBES) $(BENCH_TOOLS)
	rm -rf rootfs build
	@if [ -d lab ]; then rm -f lab/*/minibox lab/*/minibox-exec; \
		echo "make clean: kept lab/ (your lab work: $$(ls lab | tr '\n' ' ')); make clean-lab deletes it"; fi

clean-lab:
	@if [ -d lab ]; then echo "make clean-lab: deleting lab/: $$(ls lab | tr '\n' ' ')"; rm -rf lab; fi

help:
	@echo "make              build every chapter (chapters/NN-*/minibox)"
	@echo "make ladder       write chapters/*/minibox*.c from their one source, ladder/"
	@echo "make rootfs       build ./rootfs from the host's static busybox"
	@echo "make image        build build/image.tar, an OCI image of ./rootfs, for chapter 12"
	@echo "make test [CH=NN] [MINIBOX=path]   run the tests (as root)"
	@echo "make test-twice   two suites at once, from two clones of HEAD (as root)"
	@echo "make test-vm      the cgroup chapters' tests on pure cgroup v2, in a VM (as root)"
	@echo "make test-arm64   every chapter cross-built for arm64, smoke-tested in a VM (as root)"
	@echo "make cross ARCH=arm64   every chapter built static for arm64, in build/arm64/"
	@echo "make demo [CH=NN] [PAUSE=1]        the narrated tour (as root)"
	@echo "make lab CH=NN [PART=P]  write lab/NN-*/ with chapter NN's code (or its README's part P) taken out"
	@echo "make handout CH=NN  a folder and tarball to give a class: stripped program, README, tests, ./grade"
	@echo "make hint CH=NN   the next hint for lab/NN-*/'s first failing test, a step at a time"
	@echo "make hint-routes  each region of labs 03 05 08 10 emptied in turn: ./grade --hint must name it"
	@echo "make progress     how far each lab has come, the first failure's reason; grade sheets in lab/"
	@echo "make diff CH=NN   what chapter NN adds to the one before"
	@echo "make diagrams     render diagrams/*.dot to SVG"
	@echo "make mutate       prove the tests fail without the code they test"
	@echo "make bench [QUICK=1]  every chapter next to unshare, bwrap, crun (as root)"
	@echo "make stress       1000 runs, 50 at once, kill -9 at random: nothing remains (as root)"
	@echo "make lint | sanitize | clean (keeps lab/) | clean-lab"
