# Vigil: `make run` starts the demo site, `make test` runs the whole suite.
# Both install what is missing first (Debian packages when run as root,
# otherwise the exact apt-get line is printed).

GO            ?= go
DATA          ?= ./data
CLIPS         := $(DATA)/clips
BIN           := ./bin
# ffmpeg (libx264) makes the simulator's clips; prometheus gives promtool,
# which checks deploy/'s rules in the tests.
# libavcodec/libswscale (+ pkg-config, gcc) for the cgo H.264 decoder (snapshots, analytics).
# chromium runs the web UI's browser tests (headless); poppler-utils reads
# back the PDF reports in the tests; postgresql (15) is the scale-out
# store's database: tests start throwaway servers (ingest/store/pgtest).
# libopencv-dev (OpenCV 4.6, with g++) is what gocv v0.31.0 builds against: analytics.
APT_PACKAGES  := ffmpeg prometheus ca-certificates pkg-config gcc g++ libavcodec-dev libswscale-dev libopencv-dev chromium poppler-utils postgresql
# matprofile makes gocv count open Mats, which the analytics tests check.
GOFLAGS_TEST  ?= -race -count=1 -timeout 30m -tags matprofile

.PHONY: all deps build clips run test vet fmt-check fuzz bench clean anpr-model anpr-real s3server

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing Debian packages; run:  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.24 or newer (https://go.dev/doc/install)"; exit 1; }

# vigil-verify is also cross-built (pure Go) for the platforms police use:
# every evidence export carries these (evidence.verifier_dir: bin/verify).
VERIFY_PLATFORMS := linux/amd64 windows/amd64 darwin/arm64
build: deps
	$(GO) build -o $(BIN)/ ./cmd/...
	@for p in $(VERIFY_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -o $(BIN)/verify/$$os-$$arch/vigil-verify$$ext ./cmd/vigil-verify || exit 1; \
	done

# SeaweedFS (Apache-2.0) is the S3-compatible object store the tests start
# for shared recordings storage (recorder/s3store/s3test): its weed server,
# built from the Go module proxy at the release its own go.mod pins
# (recorder/s3store/s3test/weed), into bin/weed. The first build takes
# about 10 minutes on two cores; later ones reuse Go's build cache.
WEED_MOD := recorder/s3store/s3test/weed
s3server: $(BIN)/weed
$(BIN)/weed: $(WEED_MOD)/go.mod $(WEED_MOD)/go.sum
	cd $(WEED_MOD) && $(GO) build -ldflags "-s -w" -o $(abspath $(BIN))/weed github.com/seaweedfs/seaweedfs/weed

# The simulator's clips are generated here, never committed. The second
# line makes the plates scene's clips at the sizes the ANPR end-to-end test
# asks for: drawn by plategen, which is 12x slower under -race.
clips: deps
	$(GO) run ./cmd/camsim -generate -clips $(CLIPS)
	$(GO) run ./cmd/camsim -generate -clips $(CLIPS) -cameras 1 -scene cam001:plates -main-size 320x180 -main-bitrate 300k -clip-seconds 4

# The demo's test-scene cameras (demo.scenes): their clips are made once,
# here, so that the first start is not spent making them.
DEMO_SCENES := -scene cam006:plates -scene cam007:zone -scene cam008:covered
run: build clips
	$(BIN)/camsim -generate -clips $(CLIPS) $(DEMO_SCENES)
	$(BIN)/vigil serve

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The ANPR accuracy targets are asserted again without -race, on samples
# big enough to judge them (the race detector slows the plate renderer
# tenfold, so the -race run reads small samples).
ANPR_ACCURACY := TestPassageAccuracy|TestSyntheticScenes|TestSyntheticCharAccuracy
test: deps clips s3server fmt-check vet
	VIGIL_REQUIRE_BROWSER=1 $(GO) test $(GOFLAGS_TEST) ./...
	$(GO) test -count=1 -tags matprofile -run '$(ANPR_ACCURACY)' ./ingest/analytics/anpr/...

# Fuzz every parser of outside input for FUZZTIME each (their seed corpora
# also run in `make test`).
FUZZTIME ?= 60s
FUZZ_TARGETS := ./ingest/rtsp:FuzzAssembler ./ui/live:FuzzOffer ./ui:FuzzCameraInput ./ui:FuzzDeploymentRequest ./ui:FuzzSignIn ./ui:FuzzAnalyticsQuery ./ui:FuzzAnalyticsSettings ./ui:FuzzAlertRuleInput ./ui/auth:FuzzVerifyPassword ./ui/auth:FuzzVerifyTOTP ./ingest/decode:FuzzDecode \
	./recorder/segment:FuzzScan \
	./ingest/onvif:FuzzParseResponse ./ingest/onvif:FuzzParseProbeMatches ./ingest/onvif:FuzzParseDigestChallenge \
	./cmd/camsim/sim:FuzzParseRequest ./cmd/camsim/sim:FuzzParseProbe ./ui:FuzzPTZInput \
	./cmd/vigil/app:FuzzLoadConfig ./cmd/camsim/sim:FuzzParseFault ./cmd/camsim/sim:FuzzFaultBody \
	./evidence:FuzzDecodeEntry ./evidence/locker:FuzzOpenLog \
	./evidence/bundle:FuzzParseManifest ./evidence/bundle:FuzzParseInclusionProof \
	./evidence/bundle:FuzzParseConsistencyProof ./evidence/bundle:FuzzOpenCheckpoint \
	./evidence/bundle:FuzzParseCustody ./evidence/bundle:FuzzParseSHA256SUMS \
	./ingest/analytics/anpr:FuzzDecodeImage ./ingest/analytics/anpr:FuzzValidateONNX ./ingest/analytics/anpr:FuzzParseTruth \
	./ingest/analytics/anpr/models:FuzzParseProvenance ./ingest/analytics/anpr/ukplate:FuzzWildcard
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*}"; \
		$(GO) test -run XXX -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}" || exit 1; \
	done

# The 300-camera ingest benchmark; the evidence, live-view and scale-out
# (takeover after a node dies, PostgreSQL against SQLite, segments in the
# shared object store, s3server's weed, against this disk) benchmarks; then
# the Go benchmarks (segment writer, decoder, playback, masked working
# copies against ffmpeg, analytics decode + motion against ffmpeg -threads
# 1, the plate reader's detection and recognition), each against a baseline
# measured in the same run.
bench: build clips s3server
	$(GO) run ./cmd/ingestbench
	$(GO) run ./cmd/evidencebench
	$(GO) run ./cmd/livebench
	$(GO) run ./cmd/clusterbench
	$(GO) test -run '^$$' -bench . -skip BenchmarkWriteMaskedMP4 -benchtime 2s ./recorder/... ./ingest/decode/
	$(GO) test -run '^$$' -bench BenchmarkWriteMaskedMP4 -benchtime 1x ./recorder/playback/
	$(GO) test -run '^$$' -bench . -skip 'BenchmarkPlatesCamera|BenchmarkMainLook' -benchtime 3000x ./ingest/analytics/
	$(GO) test -run '^$$' -bench BenchmarkPlatesCamera -benchtime 3x ./ingest/analytics/
	$(GO) test -run '^$$' -bench BenchmarkMainLook -benchtime 20x ./ingest/analytics/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./ingest/analytics/anpr/ ./ingest/analytics/anpr/models/
	$(GO) test -run '^$$' -bench BenchmarkSignedInRequest -benchtime 3000x ./ui/

# Rebuild the ANPR character model from the project's own generated data
# (needs Debian's python3-torch and python3-pil; not part of make test).
# models/chars.json records the exact command the shipped model came from.
ANPR_DATA ?= /tmp/anpr
anpr-model:
	$(GO) run ./cmd/vigil anpr generate -kind chars -n 120000 -seed 1000 -out $(ANPR_DATA)/chars-train
	$(GO) run ./cmd/vigil anpr generate -kind chars -n 10000 -seed 9000 -out $(ANPR_DATA)/chars-test
	/usr/bin/python3 ingest/analytics/anpr/train/train_chars.py --data $(ANPR_DATA)/chars-train \
		--val $(ANPR_DATA)/chars-test --out ingest/analytics/anpr/models --epochs 3 --seed 1 --aug-bold 0.15 \
		--gen-version $$(git log -1 --format=%h -- ingest/analytics/anpr/plategen) --gen-seed 1000 --gen-count 120000 \
		--val-seed 9000 --gen-command "go run ./cmd/vigil anpr generate -kind chars -n 120000 -seed 1000 -out $(ANPR_DATA)/chars-train"
	$(GO) test -tags matprofile -count=1 ./ingest/analytics/anpr/models/

# Report the reader on the real validation sets (AGPL: unpacked outside the
# tree from ../shared/data/anpr, never committed or trained on).
ANPR_REAL ?= /tmp/anprdata
anpr-real: build
	$(BIN)/vigil anpr eval -data $(ANPR_REAL)/gb-chars
	$(BIN)/vigil anpr eval -data $(ANPR_REAL)/openalpr-us -region any

clean:
	rm -rf $(BIN)
