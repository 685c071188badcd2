package hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.lucene.util.Version;
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
    String portText = args.length > 1 ? args[1] : System.getProperty("solr.port", "58983");
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
            .withPortRetryTime(10) // seconds: covers a just-stopped instance, no more
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

    try {
      solr.start();
    } catch (Exception e) {
      e.printStackTrace();
      fail("Jetty/Solr did not start on 127.0.0.1:" + port + ": " + e);
    }

    // A core that failed to load (bad schema, bad solrconfig) must not look healthy.
    Map<String, ?> failures = solr.getCoreContainer().getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach((name, f) -> System.err.println("hub-solr: core " + name + " failed: " + f));
      fail("core initialisation failed");
    }

    System.out.printf(
        "hub-solr: Solr %s (Lucene %s) up at %s, home %s, cores %s%n",
        org.apache.solr.core.SolrCore.class.getPackage().getSpecificationVersion(),
        Version.LATEST,
        solr.getBaseUrl(),
        homePath,
        solr.getCoreContainer().getAllCoreNames());
    System.out.flush();
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println("hub-solr: " + message);
    System.exit(1);
  }
}
