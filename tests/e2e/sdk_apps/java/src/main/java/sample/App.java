package sample;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import tracing.orders.TracingMessaging;
import tracing.orders.TracingMetrics;

/**
 * The sample service: GET /order publishes a message through an in-process queue that carries only
 * the message's headers (standing in for a broker) with the generated TracingMessaging helpers, a
 * consumer thread processes it; GET /fail throws; GET /metrics serves OpenMetrics text.
 */
@SpringBootApplication
@RestController
public class App {

  private static final Logger LOG = LoggerFactory.getLogger(App.class);
  private final BlockingQueue<Map<String, String>> queue = new LinkedBlockingQueue<>();

  public static void main(String[] args) {
    SpringApplication.run(App.class, args);
  }

  public App() {
    Thread consumer = new Thread(this::consume, "sample-consumer");
    consumer.setDaemon(true);
    consumer.start();
  }

  @GetMapping("/order")
  public String order() {
    long start = System.nanoTime();
    Map<String, String> headers = new HashMap<>();
    Span send = TracingMessaging.startSend(
        TracingMessaging.SYSTEM_RABBITMQ, TracingMessaging.RABBITMQ_ORDER_EVENTS, headers);
    try {
      queue.add(headers);
    } finally {
      send.end();
    }
    LOG.info("order placed");
    TracingMetrics.observe("/order", (System.nanoTime() - start) / 1e9);
    return "sent traceparent=" + headers.getOrDefault("traceparent", "") + "\n";
  }

  @GetMapping("/fail")
  public String fail() {
    throw new IllegalStateException("payment declined");
  }

  @GetMapping("/metrics")
  public String metrics() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getOpenMetricsTextFormatWriter()
        .write(out, PrometheusRegistry.defaultRegistry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private void consume() {
    while (true) {
      Map<String, String> headers;
      try {
        headers = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      Span span = TracingMessaging.startProcess(
          TracingMessaging.SYSTEM_RABBITMQ, TracingMessaging.RABBITMQ_ORDER_EVENTS, headers);
      try (Scope ignored = span.makeCurrent()) {
        LOG.info("order consumed headers={}", headers.keySet());
      } finally {
        span.end();
      }
    }
  }
}
