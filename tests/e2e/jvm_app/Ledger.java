// A JVM service tracegen never built, for tests/e2e/test_ansible_jvm_rollout.py: it knows nothing of
// OpenTelemetry. GET /work calls its own /health over java.net.http.HttpClient and answers 200, so
// the Java agent (attached only through JAVA_TOOL_OPTIONS) records a server span and a client span.
// GET /health answers 200, GET /broken 500 (the health URL of a rollout that must be rolled back).
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public final class Ledger {
    private static final int PORT = 8081;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", PORT), 0);
        server.createContext("/health", exchange -> answer(exchange, 200, "ok\n"));
        server.createContext("/broken", exchange -> answer(exchange, 500, "broken\n"));
        server.createContext("/work", exchange -> {
            try {
                HttpResponse<String> health = CLIENT.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                answer(exchange, 200, "work done, health " + health.statusCode() + "\n");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer(exchange, 500, "interrupted\n");
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));   // /work waits on its own /health
        server.start();
        System.out.println("ledger listening on 127.0.0.1:" + PORT
                + ", JAVA_TOOL_OPTIONS=" + System.getenv("JAVA_TOOL_OPTIONS"));
    }
}
