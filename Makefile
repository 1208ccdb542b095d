# The test command is `make test`: everything CI runs, in one place.
GO ?= go
FUZZTIME ?= 5s

.PHONY: test vet unit fuzz race bench demo

test: vet unit fuzz

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt would change the files above" && exit 1)
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -p 1 ./...  # one package at a time: the budget properties measure timing

# Each fuzz target for a few seconds on top of its committed seed corpus (which `unit`
# already runs). Longer: make fuzz FUZZTIME=10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCanonicalRoute$$' -fuzztime $(FUZZTIME) ./internal/routes
	$(GO) test -run '^$$' -fuzz '^FuzzGatewayPath$$' -fuzztime $(FUZZTIME) ./internal/proxy

race:
	$(GO) test -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./internal/budget ./internal/routes

demo:
	$(GO) run ./cmd/gateway demo
