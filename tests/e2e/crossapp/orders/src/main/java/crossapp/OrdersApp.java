package crossapp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * orders (Java/Spring) of the cross-service test, run under the OpenTelemetry Java agent with the
 * generated {@code jvm-flags.txt}. GET /orders publishes the order to the RabbitMQ fanout exchange
 * {@code orders} with the plain RabbitMQ Java client; the agent's rabbitmq instrumentation makes
 * the PRODUCER span and writes its traceparent into the message headers. The only OpenTelemetry
 * call here puts the test's request id on the server span.
 *
 * <p>AMQP_URL: the broker.
 */
@SpringBootApplication
@RestController
public class OrdersApp {

  static final String EXCHANGE = "orders";

  private final Connection connection;
  private final Channel channel;

  public static void main(String[] args) {
    SpringApplication.run(OrdersApp.class, args);
  }

  public OrdersApp() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(System.getenv("AMQP_URL"));
    connection = factory.newConnection("orders");
    channel = connection.createChannel();
    // The same declarations as every other client of the topology.
    channel.exchangeDeclare(EXCHANGE, BuiltinExchangeType.FANOUT, false);
    channel.queueDeclare(EXCHANGE, false, false, false, null);
    channel.queueBind(EXCHANGE, EXCHANGE, "");
  }

  @GetMapping("/orders")
  public Map<String, Object> order(@RequestParam("id") String id,
                                   @RequestParam(name = "mode", defaultValue = "ok") String mode)
      throws IOException {
    Span.current().setAttribute("test.request_id", id);
    String body = "{\"id\":\"" + id + "\",\"mode\":\"" + mode + "\"}";
    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().contentType("application/json").build();
    // A Channel is not safe for concurrent publishing: one publish at a time.
    synchronized (channel) {
      channel.basicPublish(EXCHANGE, "", properties, body.getBytes(StandardCharsets.UTF_8));
    }
    return Map.of("id", id, "queued", true);
  }
}
