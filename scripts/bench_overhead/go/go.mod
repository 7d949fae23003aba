// The overhead benchmark's Go service. scripts/bench_overhead.py copies it beside the tracing module
// tracegen generates for bench-go (../tracing) and runs `go mod tidy`, which adds the rest.
module bench

go 1.26.0

require bench-overhead/bench-go/tracing v0.0.0

replace bench-overhead/bench-go/tracing => ../tracing
