package pitrunner.junit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;

/**
 * The class path's jars as javac sees them, read with java.util.zip instead of javac's own zip file
 * system. javac opens every jar of the class path (and every jar their manifests' Class-Path names: the
 * console launcher's names a dozen) as a zip file system and walks each one's whole tree to index it,
 * which was a tenth of a grading's time; the JVM has most of these jars open already. The view is
 * the same: the class path as javac itself expands it (manifest Class-Path included, in javac's order,
 * first entry of a name wins), multi-release jars read at this runtime's release as javac does by
 * default, class files only. When the class path holds anything else (a folder, a jar with sources,
 * which javac could compile implicitly), javac reads it itself.
 */
final class JarClassPath extends ForwardingJavaFileManager<JavaFileManager> {
    private static final Runtime.Version RELEASE = Runtime.Version.parse(String.valueOf(Runtime.version().feature()));
    private static final String VERSIONS = "META-INF/versions/";

    private final List<Jar> jars;

    private JarClassPath(JavaFileManager files, List<Jar> jars) {
        super(files);
        this.jars = jars;
    }

    /**
     * {@code routed} with the class path of {@code standard} (already set) read from the jars
     * directly, or {@code routed} unchanged when the class path is not jars of class files only.
     */
    static JavaFileManager over(JavaFileManager routed, StandardJavaFileManager standard) throws IOException {
        Iterable<? extends Path> expanded = standard.getLocationAsPaths(StandardLocation.CLASS_PATH);
        if (expanded == null) return routed;
        List<Jar> jars = new ArrayList<>();
        try {
            for (Path path : expanded) {
                // The image's jars are links (hamcrest.jar -> hamcrest-2.2.jar); the class path is the PIT's, not the student's.
                if (!path.getFileName().toString().endsWith(".jar") || !Files.isRegularFile(path)) {
                    close(jars);
                    return routed;
                }
                Jar jar = Jar.open(path);
                jars.add(jar);
                if (jar.hasSources) {
                    close(jars);
                    return routed;
                }
            }
        } catch (IOException | RuntimeException e) {
            close(jars);
            return routed;  // javac reads it itself, and reports what is wrong with it its own way
        }
        return new JarClassPath(routed, jars);
    }

    private static void close(List<Jar> jars) {
        for (Jar jar : jars) {
            try {
                jar.file.close();
            } catch (IOException ignored) {
                // nothing was written
            }
        }
    }

    @Override
    public Iterable<JavaFileObject> list(Location location, String packageName, Set<JavaFileObject.Kind> kinds, boolean recurse) throws IOException {
        if (location != StandardLocation.CLASS_PATH) return super.list(location, packageName, kinds, recurse);
        List<JavaFileObject> found = new ArrayList<>();
        if (!kinds.contains(JavaFileObject.Kind.CLASS)) return found;
        String dir = packageName.replace('.', '/');
        for (Jar jar : jars) {
            if (recurse) {
                String prefix = dir.isEmpty() ? "" : dir + "/";
                for (Map.Entry<String, List<String>> e : jar.packages.entrySet()) {
                    if (e.getKey().equals(dir) || e.getKey().startsWith(prefix)) for (String name : e.getValue()) found.add(new Entry(jar, name));
                }
            } else {
                List<String> names = jar.packages.get(dir);
                if (names != null) for (String name : names) found.add(new Entry(jar, name));
            }
        }
        return found;
    }

    @Override
    public String inferBinaryName(Location location, JavaFileObject file) {
        if (file instanceof Entry entry) return entry.binaryName();
        return super.inferBinaryName(location, file);
    }

    @Override
    public boolean isSameFile(FileObject a, FileObject b) {
        if (a instanceof Entry || b instanceof Entry) return a.equals(b);
        return super.isSameFile(a, b);
    }

    @Override
    public boolean contains(Location location, FileObject file) throws IOException {
        if (file instanceof Entry entry) return location == StandardLocation.CLASS_PATH && jars.contains(entry.jar);
        return super.contains(location, file);
    }

    @Override
    public JavaFileObject getJavaFileForInput(Location location, String className, JavaFileObject.Kind kind) throws IOException {
        if (location != StandardLocation.CLASS_PATH) return super.getJavaFileForInput(location, className, kind);
        if (kind != JavaFileObject.Kind.CLASS) return null;
        String name = className.replace('.', '/') + ".class";
        for (Jar jar : jars) {
            if (jar.has(name)) return new Entry(jar, name);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        close(jars);
        super.close();
    }

    /** One jar: its class files by folder, under the names javac would see (versioned entries at their base name). */
    private static final class Jar {
        final Path path;
        final JarFile file;
        final Map<String, List<String>> packages = new HashMap<>();
        boolean hasSources;

        private Jar(Path path, JarFile file) {
            this.path = path;
            this.file = file;
        }

        /** Every class file, whatever its name: javac's class finder itself skips names that are no identifiers (module-info). */
        void add(String name) {
            String dir = folder(name);
            List<String> inDir = packages.get(dir);
            if (inDir == null) packages.put(dir, inDir = new ArrayList<>());
            inDir.add(name);
        }

        boolean has(String name) {
            List<String> inDir = packages.get(folder(name));
            return inDir != null && inDir.contains(name);
        }

        private static String folder(String name) {
            int slash = name.lastIndexOf('/');
            return slash < 0 ? "" : name.substring(0, slash);
        }

        static Jar open(Path path) throws IOException {
            Jar jar = new Jar(path, new JarFile(path.toFile(), false, ZipFile.OPEN_READ, RELEASE));
            boolean versioned = jar.file.isMultiRelease();
            Set<String> versionedOnly = new HashSet<>();  // base names of META-INF/versions/N/ entries, N <= release
            for (Enumeration<JarEntry> entries = jar.file.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (!name.endsWith(".class")) {
                    if (name.endsWith(".java")) jar.hasSources = true;
                    continue;
                }
                if (name.startsWith("META-INF/")) {
                    if (!versioned || !name.startsWith(VERSIONS)) continue;
                    int slash = name.indexOf('/', VERSIONS.length());
                    if (slash < 0) continue;
                    try {
                        if (Integer.parseInt(name.substring(VERSIONS.length(), slash)) > RELEASE.feature()) continue;
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    versionedOnly.add(name.substring(slash + 1));
                    continue;
                }
                jar.add(name);
            }
            // A versioned entry and its base entry are one class: listed once, read at this release.
            for (String name : versionedOnly) {
                if (!jar.has(name)) jar.add(name);
            }
            return jar;
        }
    }

    /** A class file in a jar; its bytes come from the entry this runtime's release selects. */
    private static final class Entry implements JavaFileObject {
        final Jar jar;
        final String name;

        Entry(Jar jar, String name) {
            this.jar = jar;
            this.name = name;
        }

        String binaryName() {
            return name.substring(0, name.length() - ".class".length()).replace('/', '.');
        }

        @Override
        public URI toUri() {
            return URI.create("jar:" + jar.path.toUri() + "!/" + name);
        }

        /** As javac names a class file in a jar in its messages: {@code /usr/share/java/x.jar(org/x/Y.class)}. */
        @Override
        public String getName() {
            return jar.path + "(" + name + ")";
        }

        @Override
        public InputStream openInputStream() throws IOException {
            ZipEntry entry = jar.file.getJarEntry(name);
            if (entry == null) throw new IOException("no " + name + " in " + jar.path);
            return jar.file.getInputStream(entry);
        }

        @Override
        public OutputStream openOutputStream() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Reader openReader(boolean ignoreEncodingErrors) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Writer openWriter() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long getLastModified() {
            try {
                return Files.getLastModifiedTime(jar.path).toMillis();
            } catch (IOException e) {
                return 0L;
            }
        }

        @Override
        public boolean delete() {
            return false;
        }

        @Override
        public Kind getKind() {
            return Kind.CLASS;
        }

        @Override
        public boolean isNameCompatible(String simpleName, Kind kind) {
            return kind == Kind.CLASS && (name.equals(simpleName + ".class") || name.endsWith("/" + simpleName + ".class"));
        }

        @Override
        public NestingKind getNestingKind() {
            return null;
        }

        @Override
        public Modifier getAccessLevel() {
            return null;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Entry e && e.jar == jar && e.name.equals(name);
        }

        @Override
        public int hashCode() {
            return jar.path.hashCode() * 31 + name.hashCode();
        }

        @Override
        public String toString() {
            return getName();
        }
    }
}
