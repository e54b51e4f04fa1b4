package pitrunner.junit;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Grades a Java project in this one JVM: compiles the solution and the instructor's tests with
 * javax.tools, runs them on the JUnit Platform (Jupiter and Vintage) and writes JUnit XML reports.
 *
 * <pre>
 * pitrunner.junit.Main [--main DIR]... [--test DIR]... [--classpath JARS] [--reports DIR] [--build DIR]
 * </pre>
 *
 * Defaults follow Maven's layout: src/main/java, src/test/java, reports in test-reports, classes in
 * build/pit-junit. Under the runner, results leave on its verdict channel ({@link VerdictChannel}) and
 * no report file is written; the solution's classes run confined ({@link Confinement}). Exit codes: 0 every test passed (or none was found), 1 a test failed, 2 the code
 * did not compile (no report is written), 3 bad arguments.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
        // First of all: the key is read, and its descriptor closed, before anything of the submission is.
        VerdictChannel channel = VerdictChannel.open();
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("pit-junit: " + e.getMessage());
            System.exit(3);
            return;
        }
        System.exit(run(options, channel));
    }

    static int run(Options options, VerdictChannel channel) throws IOException {
        Files.deleteIfExists(options.reports.resolve("TEST-junit-jupiter.xml"));
        Files.deleteIfExists(options.reports.resolve("TEST-junit-vintage.xml"));
        Directories.recreate(options.build);
        Path mainClasses = options.build.resolve("classes");
        Path testClasses = options.build.resolve("test-classes");

        long started = System.nanoTime();
        PrintWriter err = new PrintWriter(System.err, true);
        List<Path> classpath = new ArrayList<>(options.classpath);
        classpath.addAll(Compiler.ownClassPath());
        Files.createDirectories(mainClasses);
        Files.createDirectories(testClasses);
        Warmup warmup = Warmup.start();
        if (!Compiler.compile(options, classpath, mainClasses, testClasses, err)) return 2;
        long compiled = System.nanoTime();
        warmup.join();
        long warm = System.nanoTime();

        ClassLoader tests = SolutionLoader.create(mainClasses, testClasses, options.classpath);
        Confinement.install();
        boolean passed = new TestRun(options.reports, channel).run(testClasses, tests);
        if (channel != null) channel.done();
        System.out.printf("pit-junit: compiled in %d ms, waited %d ms for JUnit's warm-up, tested in %d ms%n",
            (compiled - started) / 1_000_000, (warm - compiled) / 1_000_000, (System.nanoTime() - warm) / 1_000_000);
        return passed ? 0 : 1;
    }
}
