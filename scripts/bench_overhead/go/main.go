// Command bench is the overhead benchmark's Go service: GET / answers a small JSON body.
// BENCH_TRACING=1 calls the generated tracing.Setup and wraps the handler in tracing.Handler
// (otelhttp); without it no OpenTelemetry code runs. PORT is where it listens.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"bench-overhead/bench-go/tracing"
)

func main() {
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"service":"bench-go"}`))
	})
	shutdown := func(context.Context) error { return nil }
	if os.Getenv("BENCH_TRACING") == "1" {
		var err error
		if shutdown, err = tracing.Setup(context.Background()); err != nil {
			log.Fatal(err)
		}
		handler = tracing.Handler(handler, "GET /")
	}
	server := &http.Server{Addr: "127.0.0.1:" + os.Getenv("PORT"), Handler: handler}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
		<-stop
		_ = server.Shutdown(context.Background())
	}()
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
	_ = shutdown(context.Background())
}
