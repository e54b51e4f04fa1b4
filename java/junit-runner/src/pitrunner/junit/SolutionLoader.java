package pitrunner.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that decides which class loader, and so which rights, the solution's and the tests'
 * classes get. Two loaders:
 * <ul>
 * <li>the solution's: its compiled classes, read into memory before the confinement starts and defined
 *     in {@link Confinement#SOLUTION_DOMAIN} (no rights), with the JDK's platform loader as parent, so
 *     by name it finds the JDK and itself, never JUnit, the helper, the tests or the sentinel. It
 *     serves no resources of its own;</li>
 * <li>the tests': the test classes and the PIT's test dependencies, with the helper's loader as parent
 *     (JUnit first, so a submitted class named like one of JUnit's never replaces it), then the
 *     solution's loader for the classes under test.</li>
 * </ul>
 * Two loaders make two run-time packages of one source package, so solution classes are opened to
 * the tests ({@link ClassAccess}).
 */
final class SolutionLoader {
    private SolutionLoader() {}

    /** The tests' loader, which sees the solution's classes (compiled to {@code solutionClasses}) through its own. */
    static ClassLoader create(Path solutionClasses, Path testClasses, List<Path> dependencies) throws IOException {
        Solution solution = new Solution(classFiles(solutionClasses));
        List<URL> urls = new ArrayList<>();
        urls.add(url(testClasses));
        for (Path entry : dependencies) urls.add(url(entry));
        return new Tests(urls.toArray(new URL[0]), Main.class.getClassLoader(), solution);
    }

    /** Binary name → class file bytes, for every class file under {@code root} (links are not followed). */
    private static Map<String, byte[]> classFiles(Path root) throws IOException {
        Map<String, byte[]> classes = new HashMap<>();
        if (!Files.isDirectory(root)) return classes;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String relative = root.relativize(file).toString();
                if (attrs.isRegularFile() && relative.endsWith(".class")) {
                    classes.put(relative.substring(0, relative.length() - ".class".length()).replace('/', '.'), Files.readAllBytes(file));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return classes;
    }

    private static URL url(Path entry) {
        try {
            return entry.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Solution extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final Map<String, byte[]> classes;

        Solution(Map<String, byte[]> classes) {
            super("solution", ClassLoader.getPlatformClassLoader());
            this.classes = classes;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes = classes.get(name);
            if (bytes == null) throw new ClassNotFoundException(name);
            byte[] open = ClassAccess.widened(bytes);
            return defineClass(name, open, 0, open.length, Confinement.SOLUTION_DOMAIN);
        }

        @Override
        protected URL findResource(String name) {
            return null;
        }

        @Override
        protected Enumeration<URL> findResources(String name) {
            return java.util.Collections.emptyEnumeration();
        }
    }

    private static final class Tests extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final Solution solution;

        Tests(URL[] urls, ClassLoader parent, Solution solution) {
            super("tests", urls, parent);
            this.solution = solution;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            try {
                return super.findClass(name);
            } catch (ClassNotFoundException notATestClass) {
                return solution.loadClass(name);
            }
        }
    }
}
