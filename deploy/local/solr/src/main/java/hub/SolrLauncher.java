package hub;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.lucene.util.Version;
import org.apache.solr.core.CoreContainer;
import org.apache.solr.core.SolrCore;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Runs the real Solr (SolrDispatchFilter on Jetty, from solr-test-framework) for the local
 * stack: http://127.0.0.1:PORT/solr, cores discovered under SOLR_HOME. JettySolrRunner
 * binds 127.0.0.1 only. Stays up until killed; SIGTERM closes the cores cleanly.
 *
 * Usage: java -cp ... hub.SolrLauncher [SOLR_HOME [PORT]]
 * or the system properties solr.solr.home and solr.port (arguments win).
 */
public final class SolrLauncher {
  private SolrLauncher() {}

  public static void main(String[] args) throws Exception {
    String home = args.length > 0 ? args[0] : System.getProperty("solr.solr.home");
    String portText = args.length > 1 ? args[1] : System.getProperty("solr.port", "28983");
    if (home == null || home.isBlank()) {
      fail("usage: SolrLauncher SOLR_HOME [PORT] (or -Dsolr.solr.home=... -Dsolr.port=...)");
    }
    Path homePath = Path.of(home).toAbsolutePath().normalize();
    if (!Files.isRegularFile(homePath.resolve("solr.xml"))) {
      fail("no solr.xml in Solr home " + homePath);
    }
    int port = Integer.parseInt(portText.trim());

    JettyConfig config =
        JettyConfig.builder()
            .setContext("/solr")
            .setPort(port)
            .stopAtShutdown(false) // our own hook below stops Jetty and the cores once
            .withPortRetryTime(0) // its retry cannot restart a stopped Jetty: see below
            .build();
    JettySolrRunner solr = new JettySolrRunner(homePath.toString(), new Properties(), config);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    solr.stop();
                  } catch (Exception e) {
                    System.err.println("hub-solr: error while stopping: " + e);
                  } finally {
                    stopped.countDown();
                  }
                },
                "hub-solr-shutdown"));

    waitForFreePort(port, 10);
    try {
      solr.start();
    } catch (Exception e) {
      e.printStackTrace();
      fail("Jetty/Solr did not start on 127.0.0.1:" + port + ": " + e);
    }

    // A core that failed to load (bad schema, bad solrconfig) must not look healthy.
    Map<String, CoreContainer.CoreLoadFailure> failures =
        solr.getCoreContainer().getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach(
          (name, f) ->
              System.err.println("hub-solr: core " + name + " failed: " + causeChain(f.exception)));
      fail("core initialisation failed (full stack trace above)");
    }

    System.out.printf(
        "hub-solr: Solr %s (Lucene %s) up at %s, home %s, cores %s%n",
        SolrCore.class.getPackage().getSpecificationVersion(),
        Version.LATEST,
        solr.getBaseUrl(),
        homePath,
        solr.getCoreContainer().getAllCoreNames());
    System.out.flush();
    stopped.await();
  }

  /** Waits a little for a just-stopped instance to free the port, then fails clearly. */
  private static void waitForFreePort(int port, int seconds) throws InterruptedException {
    for (int i = 0; ; i++) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress("127.0.0.1", port));
        return;
      } catch (IOException e) {
        if (i >= seconds) {
          fail("port 127.0.0.1:" + port + " is in use by another process (" + e.getMessage() + ")");
        }
        Thread.sleep(1000);
      }
    }
  }

  private static String causeChain(Throwable t) {
    StringBuilder chain = new StringBuilder(String.valueOf(t));
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      chain.append("\n    caused by: ").append(t);
    }
    return chain.toString();
  }

  private static void fail(String message) {
    System.err.println("hub-solr: " + message);
    System.exit(1);
  }
}
