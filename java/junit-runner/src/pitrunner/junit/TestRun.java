package pitrunner.junit;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.engine.JupiterTestEngine;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;
import org.junit.vintage.engine.VintageTestEngine;

import static org.junit.platform.engine.discovery.ClassNameFilter.includeClassNamePatterns;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;

/**
 * The JUnit Platform in this JVM, with exactly two engines (Jupiter, Vintage for JUnit 4) and exactly
 * our listeners: nothing is registered from META-INF/services, so neither a dependency nor the
 * submission can add a listener, a filter or an engine. With a verdict channel the results go there
 * and nowhere else; without one (run by hand), to JUnit XML reports.
 */
final class TestRun {
    /** Maven Surefire's default includes (Test*, *Test, *Tests, *TestCase), top-level classes only. */
    static final String SUREFIRE_INCLUDES = "^(?:.*\\.)?(?:Test[^.$]*|[^.$]*Tests?|[^.$]*TestCase)$";

    /** Set by the runner (JAVA_TOOL_OPTIONS) from the PIT's testTimeoutMs; read before any submitted code runs. */
    static final String DEFAULT_TIMEOUT = "junit.jupiter.execution.timeout.default";

    /** The JDK's own StAX writer for the reports, named so the factory lookup scans no class path for another. */
    private static final String XML_OUTPUT_FACTORY = "javax.xml.stream.XMLOutputFactory";
    private static final String JDK_XML_OUTPUT_FACTORY = "com.sun.xml.internal.stream.XMLOutputFactoryImpl";

    private final Path reports;
    private final VerdictChannel channel;

    TestRun(Path reports, VerdictChannel channel) {
        this.reports = reports;
        this.channel = channel;
    }

    /** Runs every test class under {@code testClasses}, loaded by {@code loader}; true when none failed. */
    boolean run(Path testClasses, ClassLoader loader) {
        Launcher launcher = newLauncher();
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request()
            .selectors(selectClasspathRoots(Set.of(testClasses)))
            .filters(includeClassNamePatterns(SUREFIRE_INCLUDES))
            .enableImplicitConfigurationParameters(false);  // no junit-platform.properties, no -Djunit.*
        // ... but the one the runner sets: the PIT's per-test time limit (testTimeoutMs).
        String timeout = System.getProperty(DEFAULT_TIMEOUT);
        if (timeout != null) builder.configurationParameter(DEFAULT_TIMEOUT, timeout);
        LauncherDiscoveryRequest request = builder.build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        PrintWriter out = new PrintWriter(System.out, true);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Test discovery loads classes through the context class loader.
        thread.setContextClassLoader(loader);
        try {
            TestExecutionListener results = channel != null ? new VerdictListener(channel) : new LegacyXmlReportGeneratingListener(reports, out);
            launcher.execute(request, new ConsoleListener(out), summary, results);
        } finally {
            thread.setContextClassLoader(previous);
        }
        var result = summary.getSummary();
        out.printf("%d tests: %d passed, %d failed, %d skipped%n", result.getTestsFoundCount(), result.getTestsSucceededCount(),
            result.getTotalFailureCount(), result.getTestsSkippedCount() + result.getTestsAbortedCount());
        out.flush();
        return result.getTotalFailureCount() == 0;
    }

    /** A launcher with exactly our two engines and nothing registered from META-INF/services. */
    static Launcher newLauncher() {
        System.setProperty(XML_OUTPUT_FACTORY, JDK_XML_OUTPUT_FACTORY);
        return LauncherFactory.create(LauncherConfig.builder()
            .enableTestEngineAutoRegistration(false)
            .enableLauncherSessionListenerAutoRegistration(false)
            .enableLauncherDiscoveryListenerAutoRegistration(false)
            .enablePostDiscoveryFilterAutoRegistration(false)
            .enableTestExecutionListenerAutoRegistration(false)
            .addTestEngines(new JupiterTestEngine(), new VintageTestEngine())
            .build());
    }
}
