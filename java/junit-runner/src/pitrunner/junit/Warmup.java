package pitrunner.junit;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * JUnit's own start-up, on a second thread while javac compiles on the first: the launcher, both
 * engines, discovery, execution, failure reporting and the XML report writer, run once on a test
 * class of the helper's (its reports go to a temporary folder, deleted after). None of it depends on
 * the submission, and {@link #join} returns before any submitted class is loaded.
 * A warm-up that fails costs only the time it took: the graded run does everything itself anyway.
 */
final class Warmup {
    private static final long PATIENCE_MS = 10_000;

    private final Thread thread;

    private Warmup() {
        thread = new Thread(Warmup::run, "pit-junit-warmup");
        thread.setDaemon(true);
    }

    static Warmup start() {
        Warmup warmup = new Warmup();
        warmup.thread.start();
        return warmup;
    }

    /**
     * Waits for the warm-up, at most {@link #PATIENCE_MS}: a warm-up that never ends must not turn into
     * a time limit of the student's (the graded run does not need it; it only goes faster with it).
     */
    void join() {
        try {
            thread.join(PATIENCE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run() {
        Path reports = null;
        try {
            reports = Files.createTempDirectory("pit-junit-warmup");
            // The JVM may exit before the warm-up ends (a compile error): the folder goes then (files first).
            reports.toFile().deleteOnExit();
            for (String engine : new String[] {"jupiter", "vintage"}) reports.resolve("TEST-junit-" + engine + ".xml").toFile().deleteOnExit();
            PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
            TestRun.newLauncher().execute(request().selectors(selectClass(Sample.class)).enableImplicitConfigurationParameters(false).build(),
                new ConsoleListener(nowhere), new SummaryGeneratingListener(), new LegacyXmlReportGeneratingListener(reports, nowhere));
        } catch (Throwable ignored) {
            // the graded run reports whatever is wrong with JUnit
        } finally {
            if (reports != null) {
                try {
                    Directories.delete(reports);
                } catch (Throwable ignored) {
                    // a temporary folder of the sandbox's, removed with it
                }
            }
        }
    }

    /** What a graded test class does: pass, fail an assertion, expect an exception. */
    static final class Sample {
        @Test
        void passes() {
            Assertions.assertEquals(2, 1 + 1);
        }

        @Test
        void fails() {
            Assertions.assertEquals(3, 1 + 1, "warm-up");
        }

        @Test
        void throwsAsExpected() {
            Assertions.assertThrows(IllegalArgumentException.class, () -> {
                throw new IllegalArgumentException("warm-up");
            });
        }
    }
}
