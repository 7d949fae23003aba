// Command fulfillment is the Go service of the cross-service test. It consumes the RabbitMQ queue
// `orders` with amqp091-go, which has no OpenTelemetry instrumentation, so it uses the helpers
// tracegen generates for it: ConsumeSpan continues the producer's trace from the message headers
// (TableCarrier over the amqp.Table), the generated HTTP client carries the trace to inventory, and
// ProduceSpan writes the trace context into the headers of the `shipments` message it publishes.
//
// AMQP_URL: the broker; INVENTORY_URL: the inventory service; PORT: a plain HTTP port answering
// /health once the consumer runs (not traced: the blueprint declares no inbound HTTP).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"

	"crossservice/fulfillment/tracing"
)

type order struct {
	ID   string `json:"id"`
	Mode string `json:"mode"`
}

type service struct {
	logger    *slog.Logger
	inventory string
	client    *http.Client
	publishM  sync.Mutex
	publisher *amqp.Channel
}

// declare sets up the same topology every client declares: a fanout exchange per topic and the
// consumer's queue bound to it (the test binds its tap queues beside them).
func declare(ch *amqp.Channel, names ...string) error {
	for _, name := range names {
		if err := ch.ExchangeDeclare(name, "fanout", false, false, false, false, nil); err != nil {
			return err
		}
		if _, err := ch.QueueDeclare(name, false, false, false, false, nil); err != nil {
			return err
		}
		if err := ch.QueueBind(name, "", name, false, nil); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) handle(delivery amqp.Delivery) {
	ctx, span := tracing.ConsumeSpan(context.Background(), tracing.SystemRabbitmq,
		tracing.DestinationRabbitmqOrders, tracing.TableCarrier(delivery.Headers))
	defer func() {
		span.End()
		_ = delivery.Ack(false)
	}()
	var o order
	if err := json.Unmarshal(delivery.Body, &o); err != nil {
		tracing.RecordError(span, err)
		return
	}
	span.SetAttributes(attribute.String("test.request_id", o.ID))
	if err := s.reserve(ctx, o); err != nil {
		tracing.RecordError(span, err)
		s.logger.ErrorContext(ctx, "reservation failed", "id", o.ID, "error", err)
		return
	}
	if err := s.ship(ctx, o); err != nil {
		tracing.RecordError(span, err)
		s.logger.ErrorContext(ctx, "shipment not published", "id", o.ID, "error", err)
		return
	}
	s.logger.InfoContext(ctx, "order fulfilled", "id", o.ID)
}

func (s *service) reserve(ctx context.Context, o order) error {
	query := url.Values{"id": {o.ID}, "mode": {o.Mode}}
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, s.inventory+"/reserve?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	response, err := s.client.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode >= 400 {
		return fmt.Errorf("inventory answered %d: %s", response.StatusCode, body)
	}
	return nil
}

func (s *service) ship(ctx context.Context, o order) error {
	body, err := json.Marshal(o)
	if err != nil {
		return err
	}
	headers := amqp.Table{}
	ctx, span := tracing.ProduceSpan(ctx, tracing.SystemRabbitmq, tracing.DestinationRabbitmqShipments,
		tracing.TableCarrier(headers))
	defer span.End()
	s.publishM.Lock()
	defer s.publishM.Unlock()
	err = s.publisher.PublishWithContext(ctx, tracing.DestinationRabbitmqShipments, "", false, false, amqp.Publishing{
		Headers: headers, ContentType: "application/json", Body: body,
	})
	tracing.RecordError(span, err)
	return err
}

func run(logger *slog.Logger) error {
	shutdown, err := tracing.Setup(context.Background())
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(flush); err != nil {
			logger.Error("tracing shutdown", "error", err)
		}
	}()

	conn, err := amqp.Dial(os.Getenv("AMQP_URL"))
	if err != nil {
		return err
	}
	defer conn.Close()
	consumer, err := conn.Channel()
	if err != nil {
		return err
	}
	publisher, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := declare(consumer, tracing.DestinationRabbitmqOrders, tracing.DestinationRabbitmqShipments); err != nil {
		return err
	}
	if err := consumer.Qos(32, 0, false); err != nil {
		return err
	}
	deliveries, err := consumer.Consume(tracing.DestinationRabbitmqOrders, "fulfillment", false, false, false, false, nil)
	if err != nil {
		return err
	}
	s := &service{logger: logger, inventory: os.Getenv("INVENTORY_URL"), client: tracing.Client(), publisher: publisher}

	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		return err
	}
	health := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = health.Serve(listener) }()
	logger.Info("fulfillment consuming", "queue", tracing.DestinationRabbitmqOrders)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var inFlight sync.WaitGroup
loop:
	for {
		select {
		case delivery, ok := <-deliveries:
			if !ok {
				break loop
			}
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				s.handle(delivery)
			}()
		case <-stop:
			_ = consumer.Cancel("fulfillment", false)
			break loop
		}
	}
	inFlight.Wait()
	_ = health.Close()
	return nil
}

func main() {
	logger := tracing.NewLogger(os.Stdout)
	if err := run(logger); err != nil {
		logger.Error("fulfillment failed", "error", err)
		os.Exit(1)
	}
}
