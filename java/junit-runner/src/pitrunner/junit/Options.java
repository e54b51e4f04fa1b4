package pitrunner.junit;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line, parsed. Paths are relative to the working directory, the project root. */
final class Options {
    final List<Path> mainDirs = new ArrayList<>();
    final List<Path> testDirs = new ArrayList<>();
    final List<Path> classpath = new ArrayList<>();
    Path reports = Path.of("test-reports");
    Path build = Path.of("build", "pit-junit");

    static Options parse(String[] args) {
        Options options = new Options();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) throw new IllegalArgumentException("missing a value after " + flag);
            String value = args[++i];
            switch (flag) {
                case "--main" -> options.mainDirs.add(Path.of(value));
                case "--test" -> options.testDirs.add(Path.of(value));
                case "--reports" -> options.reports = Path.of(value);
                case "--build" -> options.build = Path.of(value);
                case "--classpath" -> {
                    for (String entry : value.split(File.pathSeparator)) if (!entry.isEmpty()) options.classpath.add(Path.of(entry));
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (options.mainDirs.isEmpty()) options.mainDirs.add(Path.of("src", "main", "java"));
        if (options.testDirs.isEmpty()) options.testDirs.add(Path.of("src", "test", "java"));
        return options;
    }
}
