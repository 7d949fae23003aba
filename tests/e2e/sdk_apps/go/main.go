// Command sample is a tiny gRPC service using the generated tracing package: a client calls the
// server (the trace crosses the hop), the handler produces a message whose headers carry the trace
// context through an in-process queue (standing in for Kafka) to a consumer, a second call fails.
// It prints JSON lines (slog) that the test reads: logs with trace ids, the produced headers and the
// histogram's exemplar.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"checkout/fulfillment/tracing"
)

// header has the shape of a Kafka client's record header (kafka-go, franz-go).
type header struct {
	Key   string
	Value []byte
}

type message struct {
	Topic   string
	Headers []header
	Value   []byte
}

func carrier(m *message) tracing.SliceCarrier[header] {
	return tracing.SliceCarrier[header]{
		Headers: &m.Headers,
		Key:     func(h header) string { return h.Key },
		Value:   func(h header) string { return string(h.Value) },
		Make:    func(k, v string) header { return header{Key: k, Value: []byte(v)} },
	}
}

type server struct {
	healthpb.UnimplementedHealthServer
	logger   *slog.Logger
	queue    chan message
	duration *prometheus.HistogramVec
}

func (s *server) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	start := time.Now()
	ctx, span := tracing.Tracer().Start(ctx, "fulfil")
	defer span.End()
	if req.GetService() == "fail" {
		err := errors.New("warehouse unavailable")
		tracing.RecordError(span, err)
		s.logger.ErrorContext(ctx, "fulfilment failed", "error", err)
		return nil, status.Error(codes.Internal, err.Error())
	}
	msg := message{Topic: tracing.DestinationKafkaOrders, Value: []byte("order-1")}
	_, produce := tracing.ProduceSpan(ctx, tracing.SystemKafka, msg.Topic, carrier(&msg))
	headers := map[string]string{}
	for _, h := range msg.Headers {
		headers[h.Key] = string(h.Value)
	}
	s.logger.InfoContext(ctx, "produced", "traceparent", carrier(&msg).Get("traceparent"), "headers", headers)
	s.queue <- msg
	produce.End()
	s.logger.InfoContext(ctx, "order fulfilled")
	tracing.ObserveWithTrace(ctx, s.duration.WithLabelValues("/grpc.health.v1.Health/Check"), time.Since(start).Seconds())
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

func consume(logger *slog.Logger, queue <-chan message, done chan<- struct{}) {
	for msg := range queue {
		ctx, span := tracing.ConsumeSpan(context.Background(), tracing.SystemKafka, msg.Topic, carrier(&msg))
		logger.InfoContext(ctx, "order consumed", "topic", msg.Topic)
		span.End()
		done <- struct{}{}
	}
}

func exemplar(reg *prometheus.Registry) map[string]string {
	families, err := reg.Gather()
	if err != nil {
		return nil
	}
	for _, family := range families {
		for _, metric := range family.GetMetric() {
			for _, bucket := range metric.GetHistogram().GetBucket() {
				if ex := bucket.GetExemplar(); ex != nil {
					labels := map[string]string{}
					for _, pair := range ex.GetLabel() {
						labels[pair.GetName()] = pair.GetValue()
					}
					return labels
				}
			}
		}
	}
	return nil
}

func run(logger *slog.Logger, parent string) error {
	ctx := context.Background()
	shutdown, err := tracing.Setup(ctx)
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(flush); err != nil {
			logger.Error("shutdown", "error", err)
		}
	}()

	registry := prometheus.NewRegistry()
	srv := &server{logger: logger, queue: make(chan message, 1), duration: tracing.NewRequestDuration(registry)}
	done := make(chan struct{}, 1)
	go consume(logger, srv.queue, done)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	grpcServer := grpc.NewServer(tracing.ServerOptions()...)
	healthpb.RegisterHealthServer(grpcServer, srv)
	go func() { _ = grpcServer.Serve(listener) }()
	defer grpcServer.GracefulStop()

	conn, err := grpc.NewClient(listener.Addr().String(),
		append(tracing.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		return err
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	if parent != "" { // a caller upstream decided to sample this trace
		ctx = tracing.ExtractContext(ctx, tracing.HeaderCarrier{"traceparent": parent})
	}
	ctx, root := tracing.Tracer().Start(ctx, "sample-request")
	defer root.End()
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "order"}); err != nil {
		return err
	}
	<-done
	_, failure := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "fail"})
	logger.InfoContext(ctx, "calls done", "fail_code", status.Code(failure).String())
	labels := exemplar(registry)
	logger.Info("exemplar", "trace_id", labels["trace_id"], "span_id", labels["span_id"])
	return nil
}

// startRoots starts n root spans (no caller) and logs each one's trace id and sampling decision.
func startRoots(logger *slog.Logger, n int) error {
	shutdown, err := tracing.Setup(context.Background())
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		ctx, span := tracing.Tracer().Start(context.Background(), "root-probe")
		logger.InfoContext(ctx, "root")
		span.End()
	}
	flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return shutdown(flush)
}

func main() {
	parent := flag.String("parent", "", "traceparent of a simulated upstream caller")
	roots := flag.Int("roots", 0, "only start this many root spans and log their sampling decisions")
	flag.Parse()
	logger := tracing.NewLogger(os.Stdout)
	if *roots > 0 {
		if err := startRoots(logger, *roots); err != nil {
			logger.Error("sample failed", "error", err)
			os.Exit(1)
		}
		return
	}
	if err := run(logger, *parent); err != nil {
		logger.Error("sample failed", "error", err)
		os.Exit(1)
	}
}
