package pitrunner.junit;

import java.io.PrintWriter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/** One line per test in the log, and for a failure its message and where in the test code it happened. */
final class ConsoleListener implements TestExecutionListener {
    private static final int MAX_FRAMES = 6;
    private final PrintWriter out;

    ConsoleListener(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        out.printf("SKIPPED %s: %s%n", name(test), reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        boolean failed = result.getStatus() != TestExecutionResult.Status.SUCCESSFUL;
        if (!test.isTest() && !failed) return;
        out.printf("%s %s%n", label(result.getStatus()), name(test));
        if (result.getThrowable().isPresent()) describe(result.getThrowable().get());
        out.flush();
    }

    private void describe(Throwable thrown) {
        out.printf("    %s%n", thrown);
        int shown = 0;
        for (StackTraceElement frame : thrown.getStackTrace()) {
            if (shown == MAX_FRAMES) break;
            String type = frame.getClassName();
            if (type.startsWith("org.junit.") || type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("pitrunner.")) continue;
            out.printf("      at %s%n", frame);
            shown++;
        }
    }

    private static String label(TestExecutionResult.Status status) {
        return switch (status) {
            case SUCCESSFUL -> "PASSED ";
            case ABORTED -> "ABORTED";
            case FAILED -> "FAILED ";
        };
    }

    private static String name(TestIdentifier test) {
        if (test.getSource().orElse(null) instanceof MethodSource method) return method.getClassName() + "#" + method.getMethodName();
        return test.getDisplayName();
    }
}
