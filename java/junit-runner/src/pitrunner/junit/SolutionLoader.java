package pitrunner.junit;

import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that decides which class loader, and so which rights, the solution's and the tests'
 * classes get. Today: a child of the helper's own loader over the compiled classes and the PIT's test
 * dependencies. It delegates parent first, so a submitted class named like one of JUnit's
 * (org.junit.jupiter.api.Assertions, …) never replaces JUnit's own. A confinement of the solution's
 * classes (a protection domain of their own, a loader per source set) plugs in here.
 */
final class SolutionLoader {
    private SolutionLoader() {}

    static ClassLoader create(List<Path> compiledDirs, List<Path> dependencies) {
        List<URL> urls = new ArrayList<>();
        for (Path entry : compiledDirs) urls.add(url(entry));
        for (Path entry : dependencies) urls.add(url(entry));
        return new URLClassLoader("solution", urls.toArray(new URL[0]), Main.class.getClassLoader());
    }

    private static URL url(Path entry) {
        try {
            return entry.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new UncheckedIOException(e);
        }
    }
}
