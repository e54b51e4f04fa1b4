package pitrunner.junit;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * javac in this JVM, once for the solution and the tests together (a second compiler run would cost
 * as much again as the first one's set-up); the classes of test sources go to their own folder, which
 * is where tests are looked for. Messages go to {@code out} in javac's own format
 * ({@code src/main/java/bank/BankAccount.java:11: error: ';' expected}), which the runner's log and
 * compile-error summary already understand.
 */
final class Compiler {
    private Compiler() {}

    /** True when it compiled (or there was nothing to compile). */
    static boolean compile(Options options, List<Path> classpath, Path mainClasses, Path testClasses, PrintWriter out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler in this runtime: a JDK is needed, not a JRE");
        List<Path> sources = Directories.javaFiles(options.mainDirs);
        List<Path> tests = Directories.javaFiles(options.testDirs);
        sources.addAll(tests);
        if (sources.isEmpty()) return true;
        List<String> flags = List.of(
            "-encoding", "UTF-8",
            "-proc:none",                 // no annotation processor runs at compile time
            "-Xmaxerrs", "50");
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(mainClasses));
            files.setLocationFromPaths(StandardLocation.CLASS_PATH, classpath);
            Set<String> testUris = new HashSet<>();
            for (Path test : tests) testUris.add(test.toAbsolutePath().normalize().toUri().toString());
            JavaFileManager routed = new ForwardingJavaFileManager<>(files) {
                @Override
                public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind, FileObject sibling) throws IOException {
                    if (sibling == null || !testUris.contains(sibling.toUri().normalize().toString())) return super.getJavaFileForOutput(location, className, kind, sibling);
                    Path target = testClasses.resolve(className.replace('.', File.separatorChar) + kind.extension);
                    return files.getJavaFileObjects(target).iterator().next();
                }
            };
            try (JavaFileManager read = JarClassPath.over(routed, files)) {
                boolean ok = javac.getTask(out, read, null, flags, null, files.getJavaFileObjectsFromPaths(sources)).call();
                out.flush();
                return ok;
            }
        }
    }

    /** The jars this helper runs from but its own (JUnit among them): what test code compiles against. */
    static List<Path> ownClassPath() {
        List<Path> entries = new ArrayList<>();
        String self = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty() && !Path.of(entry).toAbsolutePath().toString().equals(self)) entries.add(Path.of(entry));
        }
        return entries;
    }
}
