# Lightning's everyday commands. Each is a plain `go` command underneath;
# CI runs .ci/run, which calls the same ones.

PKGS        ?= ./...
FUZZTIME    ?= 30s
FUZZMIN     ?= 200x
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 6
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test short race fuzz bench lint ci

test:            ## the full test suite (the README's test command)
	go test $(PKGS)

short:           ## quick suite: randomized and long tests cut down
	go test -short $(PKGS)

race:            ## the race detector on everything with concurrency, short mode
	go test -race -short $(PKGS)

fuzz:            ## every fuzz target for FUZZTIME each
	@for pkg in $$(go list $(PKGS)); do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; go test -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) $$pkg || exit 1; \
	  done; \
	done

bench:           ## all benchmarks, BENCHCOUNT runs each, for benchstat
	go test -run XXX -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS) | tee bench.out

lint:            ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	go vet $(PKGS)
	go run $(STATICCHECK) $(PKGS)

ci:              ## what CI runs
	bash .ci/run
