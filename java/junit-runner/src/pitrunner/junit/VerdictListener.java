package pitrunner.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.reporting.legacy.LegacyReportingUtils;

/**
 * The run's results on the verdict channel, once the whole plan ran, with the ids and statuses
 * JUnit's legacy XML reports give (classname and legacy name; a test that never ran because its class
 * failed carries the class's failure; an aborted one is skipped; an AssertionError is a failure, any
 * other throwable an error), and with the confinement's refusals: a test during which solution code
 * was refused something fails, named by what it tried, even when the solution caught the refusal.
 */
final class VerdictListener implements TestExecutionListener {
    private static final int MAX_MESSAGE = 4000;

    private final VerdictChannel channel;
    private final Map<TestIdentifier, TestExecutionResult> finished = new ConcurrentHashMap<>();
    private final Map<TestIdentifier, String> skipped = new ConcurrentHashMap<>();
    private final Map<TestIdentifier, Long> started = new ConcurrentHashMap<>();
    private final Map<TestIdentifier, Long> took = new ConcurrentHashMap<>();
    private final Map<TestIdentifier, String> refusedDuring = new ConcurrentHashMap<>();
    private int refusalsSeen;
    private TestPlan plan;

    VerdictListener(VerdictChannel channel) {
        this.channel = channel;
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionStarted(TestIdentifier test) {
        started.put(test, System.nanoTime());
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped.put(test, reason == null ? "skipped" : reason);
    }

    @Override
    public synchronized void executionFinished(TestIdentifier test, TestExecutionResult result) {
        Long start = started.get(test);
        if (start != null) took.put(test, (System.nanoTime() - start) / 1_000_000);
        finished.put(test, result);
        // Refusals since the last test ended belong to this one (or to its class's set-up, which ran before it).
        int refusals = Confinement.refusals();
        if (test.isTest() && refusals != refusalsSeen) {
            refusedDuring.put(test, Confinement.lastRefused());
            refusalsSeen = refusals;
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        try {
            for (TestIdentifier root : testPlan.getRoots()) {
                for (TestIdentifier test : testPlan.getDescendants(root)) {
                    if (test.isTest() || testPlan.getChildren(test).isEmpty()) record(test);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void record(TestIdentifier test) throws IOException {
        String classname = LegacyReportingUtils.getClassName(plan, test);
        String name = test.getLegacyReportingName();
        long timeMs = took.getOrDefault(test, 0L);
        String refused = refusedDuring.get(test);
        if (skippedReason(test) != null) {
            channel.test(classname, name, "skipped", timeMs, skippedReason(test), refused);
            return;
        }
        TestExecutionResult result = resultOf(test);
        if (result == null) return;  // it never ran: the runner counts an expected test it was not told about as failed
        Throwable thrown = result.getThrowable().orElse(null);
        String status = switch (result.getStatus()) {
            case SUCCESSFUL -> "passed";
            case ABORTED -> "skipped";
            case FAILED -> thrown instanceof AssertionError ? "failed" : "error";
        };
        String message = thrown == null ? null : describe(thrown);
        if (refused != null && status.equals("passed")) {
            status = "failed";
            message = "not allowed: " + refused + " (the solution's code was refused this during the test, and the test counts as failed)";
        }
        channel.test(classname, name, status, timeMs, message, refused);
    }

    /** Its own reason, or its nearest skipped ancestor's. */
    private String skippedReason(TestIdentifier test) {
        for (Optional<TestIdentifier> at = Optional.of(test); at.isPresent(); at = plan.getParent(at.get())) {
            String reason = skipped.get(at.get());
            if (reason != null) return reason;
        }
        return null;
    }

    /** Its own result, else the failure of the nearest ancestor that did not succeed, else null. */
    private TestExecutionResult resultOf(TestIdentifier test) {
        TestExecutionResult own = finished.get(test);
        if (own != null) return own;
        for (Optional<TestIdentifier> at = plan.getParent(test); at.isPresent(); at = plan.getParent(at.get())) {
            TestExecutionResult result = finished.get(at.get());
            if (result != null && result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) return result;
        }
        return null;
    }

    /**
     * The throwable's message, or its description when it has none. Its methods may be the solution's
     * (an exception class of its own): they run confined, and whatever they throw is the description.
     */
    private static String describe(Throwable thrown) {
        String text;
        try {
            String message = thrown.getMessage();
            text = message == null || message.isBlank() ? thrown.toString() : message;
        } catch (Throwable t) {
            text = thrown.getClass().getName();
        }
        if (text == null) text = thrown.getClass().getName();
        return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "…" : text;
    }

}
